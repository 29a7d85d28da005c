import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// Sessions with the outbound relay kept open and reused: a session carries any number of mail
/// transactions (RFC 5321 §3.3), so the connection, greeting, STARTTLS and AUTH are paid once for
/// many messages rather than once each, and with PIPELINING a message costs two round trips. At
/// most `maxSessions` are open; a message waits for a free one (its caller's deadline bounds the
/// wait); a session unused for `idleSeconds` says QUIT and closes. A reused session found closed by
/// the server is replaced and the message sent on a new one, but only when none of it was sent
/// yet, so nothing goes twice.
public final class SMTPRelay: Sendable {
    public let settings: SMTPSettings
    let maxSessions: Int
    let idleSeconds: Double

    private struct Job: Sendable {
        let from: String
        let to: [String]
        let message: String
        let done: CheckedContinuation<SMTPClient.Result, any Error>
        /// Not begun after this (its caller gave up waiting; it will be tried again as a whole).
        let notAfter: Date
        /// Already failed once on a reused session that the server had closed.
        var retried = false
    }

    /// One open session and the jobs handed to it, one at a time.
    private final class Session: Sendable {
        let id = UUID()
        let jobs: AsyncStream<Job>
        let give: AsyncStream<Job>.Continuation
        init() { (jobs, give) = AsyncStream.makeStream(of: Job.self) }
    }

    private struct State: Sendable {
        var idle: [(session: Session, since: Date)] = []
        var open = 0
        var waiting: [Job] = []
        var reaping = false
    }

    private let state = NIOLockedValueBox(State())

    public init(settings: SMTPSettings, maxSessions: Int = 16, idleSeconds: Double = 10) {
        self.settings = settings
        self.maxSessions = maxSessions
        self.idleSeconds = idleSeconds
    }

    /// Sessions open now (for tests and metrics).
    public var openSessions: Int { state.withLockedValue { $0.open } }

    /// Sends one message on a free session. `notAfter`: a message still waiting for a session then
    /// is not sent at all (its caller has given up and will try it again as a whole).
    public func send(
        from: String, to recipients: [String], message: String, notAfter: Date = Date().addingTimeInterval(45)
    ) async throws -> SMTPClient.Result {
        guard !recipients.isEmpty else { throw SMTPError(code: 501, message: "no recipients") }
        return try await withCheckedThrowingContinuation { done in
            dispatch(Job(from: from, to: recipients, message: message, done: done, notAfter: notAfter))
        }
    }

    /// Gives a job to an idle session, opens a new one, or queues it for the next free session.
    private func dispatch(_ job: Job) {
        enum Next {
            case give(Session)
            case open
            case wait
        }
        let next = state.withLockedValue { s -> Next in
            if let (session, _) = s.idle.popLast() { return .give(session) }
            if s.open < maxSessions {
                s.open += 1
                return .open
            }
            s.waiting.append(job)
            return .wait
        }
        switch next {
        case .give(let session): session.give.yield(job)
        case .open: openSession(first: job)
        case .wait: break
        }
    }

    private func openSession(first: Job) {
        let session = Session()
        startReaper()
        Task {
            // The job the session is on: failed with the session if the connection fails under it.
            var current: Job? = first
            var reused = false
            do {
                try await SMTPSession.open(settings) { smtp in
                    var next: Job? = first
                    var jobs = session.jobs.makeAsyncIterator()
                    while let job = next {
                        current = job
                        if Date() >= job.notAfter {
                            current = nil
                            job.done.resume(throwing: SMTPError(code: nil, message: "no free session with the relay in time"))
                        } else {
                            do {
                                let result = try await smtp.transaction(from: job.from, to: job.to, message: job.message)
                                current = nil
                                job.done.resume(returning: result)
                            } catch let e as SMTPError where e.code != nil {
                                // The server refused this message; the session was reset and serves the next one,
                                // unless the server answered out of step: then it closes.
                                current = nil
                                job.done.resume(throwing: e)
                                if smtp.broken { throw SMTPError(code: nil, message: "the server answered out of step") }
                            } catch {
                                // The connection failed. On a session that had sat idle, before any of the
                                // message went, that is the server having closed it: the message tries a new one.
                                if reused, !smtp.wroteMessage, !job.retried {
                                    var again = job
                                    again.retried = true
                                    current = nil
                                    self.requeue(again)
                                }
                                throw error
                            }
                            reused = true
                        }
                        self.idle(session)
                        next = await jobs.next()
                    }
                    await smtp.quit()
                }
            } catch {
                current?.done.resume(throwing: error)
            }
            self.closed(session)
        }
    }

    /// A session finished a job: it takes the next waiting one, or goes idle.
    private func idle(_ session: Session) {
        let next = state.withLockedValue { s -> Job? in
            if !s.waiting.isEmpty { return s.waiting.removeFirst() }
            s.idle.append((session, Date()))
            return nil
        }
        if let next { session.give.yield(next) }
    }

    private func requeue(_ job: Job) {
        state.withLockedValue { $0.waiting.insert(job, at: 0) }
    }

    /// A session ended (closed when idle too long, or its connection failed): its place is free for
    /// the next waiting job.
    private func closed(_ session: Session) {
        session.give.finish()
        let next = state.withLockedValue { s -> Job? in
            s.open -= 1
            s.idle.removeAll { $0.session.id == session.id }
            guard !s.waiting.isEmpty else { return nil }
            s.open += 1
            return s.waiting.removeFirst()
        }
        if let next { openSession(first: next) }
    }

    /// While sessions are open, closes the ones idle for `idleSeconds`.
    private func startReaper() {
        let start = state.withLockedValue { s -> Bool in
            if s.reaping { return false }
            s.reaping = true
            return true
        }
        guard start else { return }
        let idleSeconds = idleSeconds
        Task { [weak self] in
            while true {
                try? await Task.sleep(nanoseconds: UInt64(idleSeconds / 2 * 1e9))
                guard let self else { return }
                let now = Date()
                let (expired, done) = self.state.withLockedValue { s -> ([Session], Bool) in
                    let old = s.idle.filter { now.timeIntervalSince($0.since) >= idleSeconds }.map(\.session)
                    s.idle.removeAll { now.timeIntervalSince($0.since) >= idleSeconds }
                    let done = s.open - old.count <= 0 && s.waiting.isEmpty
                    if done { s.reaping = false }
                    return (old, done)
                }
                for session in expired { session.give.finish() }
                if done { return }
            }
        }
    }
}
