import CareCore
import Fluent
import NIOCore
import Vapor

/// Work that runs every so often inside the server process (held reviews, time triggers). A failed
/// round is logged and the next one runs as usual.
struct PeriodicJob: LifecycleHandler {
    final class Box: @unchecked Sendable { var task: RepeatedTask? }
    let name: String
    let every: TimeAmount
    let initialDelay: TimeAmount
    let work: @Sendable (CareServices, any Database, Logger) async throws -> Void
    let box = Box()

    func didBoot(_ app: Application) throws {
        let care = app.care
        let db = app.db
        let logger = app.logger
        let loop = app.eventLoopGroup.next()
        let (name, work) = (self.name, self.work)
        box.task = loop.scheduleRepeatedAsyncTask(initialDelay: initialDelay, delay: every) { _ in
            loop.makeFutureWithTask {
                do {
                    try await work(care, db, logger)
                } catch {
                    logger.error("\(name) failed: \(String(reflecting: error))")
                }
            }
        }
    }

    func shutdown(_ app: Application) {
        box.task?.cancel()
    }
}

extension PeriodicJob {
    /// Once a minute, publishes reviews whose hold has run out. A held review is never held forever.
    static let moderationDeadline = PeriodicJob(name: "publishing held reviews", every: .seconds(60), initialDelay: .seconds(1)) { care, db, logger in
        let n = try await ReviewModeration.publishDue(storage: care.storage, on: db)
        if n > 0 {
            logger.info("published \(n) held review(s) at their deadline")
        }
    }

    /// Time triggers (`conversation.unanswered`, `conversation.waiting_customer`), checked every few
    /// seconds so an SLA breach is acted on within that much of its deadline, not minutes later.
    static func timedTriggers(every seconds: Double) -> PeriodicJob {
        let every = TimeAmount.milliseconds(Int64(seconds * 1000))
        return PeriodicJob(name: "time triggers", every: every, initialDelay: every) { care, db, logger in
            let n = try await TimedTriggers.sweep(links: care.links, storage: care.storage, on: db)
            if n > 0 {
                logger.info("time triggers fired \(n) time(s)")
            }
        }
    }

    /// Review requests and reminders coming due, queued as emails (in sending hours, under the cap).
    static func reviewRequests(every seconds: Double) -> PeriodicJob {
        let every = TimeAmount.milliseconds(Int64(seconds * 1000))
        return PeriodicJob(name: "review requests", every: every, initialDelay: every) { care, db, logger in
            let n = try await ReviewRequests.sweep(storage: care.storage, on: db)
            if n > 0 { logger.info("queued \(n) review request email(s)") }
        }
    }

    /// Every minute, mails left waiting for one that vanished (removed with its customer) come due.
    static let strandedMail = PeriodicJob(name: "stranded mail", every: .seconds(60), initialDelay: .seconds(20)) { care, db, logger in
        let n = try await OutboxQueue.releaseStranded(storage: care.storage, on: db)
        if n > 0 { logger.info("released \(n) mail(s) whose earlier mail was gone") }
    }

    /// Hourly, removes the text of resolved conversations past a store's retention setting.
    static let retention = PeriodicJob(name: "retention", every: .seconds(3600), initialDelay: .seconds(30)) { care, db, logger in
        let n = try await Retention.purge(storage: care.storage, on: db)
        if n > 0 { logger.info("retention removed the text of \(n) message(s)") }
    }
}
