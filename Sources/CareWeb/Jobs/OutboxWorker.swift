import CareCore
import Fluent
import Vapor

/// Delivers the outbox: runs inside `serve` and as `careloop worker`. Claims due jobs, delivers them
/// a few at a time, and records success, retry or dead letter. Wakes on this node's pokes, and polls
/// every second for jobs written by other nodes and for retries coming due.
final class OutboxWorker: LifecycleHandler, @unchecked Sendable {
    private var task: Task<Void, Never>?

    func didBoot(_ app: Application) throws {
        let care = app.care
        let db = app.db
        let logger = Logger(label: "careloop.outbox")
        // Without a mail server, emails wait in the outbox rather than failing over and over; webhooks still go.
        var kinds: [OutboxKind] = [.email, .webhook]
        if care.mail.smtp == nil {
            logger.warning("CARELOOP_SMTP_URL is not set: care emails are queued in the outbox and sent once it is")
            kinds = [.webhook]
        }
        task = Task {
            while !Task.isCancelled {
                do {
                    let jobs = try await OutboxQueue.claim(limit: 32, lease: 300, kinds: kinds, storage: care.storage, on: db)
                    await withTaskGroup(of: Void.self) { group in
                        for job in jobs {
                            group.addTask { await Self.run(job, care: care, db: db, logger: logger) }
                        }
                    }
                    if jobs.isEmpty { await care.outboxSignal.wait(upTo: care.config.outboxPollSeconds) }
                } catch {
                    logger.error("outbox claim failed: \(String(reflecting: error))")
                    try? await Task.sleep(nanoseconds: 1_000_000_000)
                }
            }
        }
    }

    static func run(_ job: OutboxQueue.Claimed, care: CareServices, db: any Database, logger: Logger) async {
        do {
            try await OutboxDelivery.deliver(job, mail: care.mail, links: care.links, storage: care.storage, on: db)
            try await OutboxQueue.delivered(job, storage: care.storage, on: db)
            care.metrics.outboxDelivered()
        } catch {
            let transient: Bool
            if case OutboxDelivery.Failure.permanent = error { transient = false } else { transient = true }
            let status = try? await OutboxQueue.failed(job, error: "\(error)", transient: transient,
                                                       policy: care.config.retryPolicy, storage: care.storage, on: db)
            logger.warning("outbox job \(job.id) attempt \(job.attempts + 1) failed (\(status?.rawValue ?? "?")): \(error)")
        }
    }

    func shutdown(_ app: Application) {
        task?.cancel()
        app.care.outboxSignal.poke()
    }
}
