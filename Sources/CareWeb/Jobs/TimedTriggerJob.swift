import CareCore
import NIOCore
import Vapor

/// Checks time triggers (`conversation.unanswered`, `conversation.waiting_customer`) every few
/// seconds, so an SLA breach is acted on within that much of its deadline, not minutes later.
struct TimedTriggerJob: LifecycleHandler {
    final class Box: @unchecked Sendable { var task: RepeatedTask? }
    let box = Box()

    func didBoot(_ app: Application) throws {
        let care = app.care
        let db = app.db
        let logger = app.logger
        let loop = app.eventLoopGroup.next()
        let every = TimeAmount.milliseconds(Int64(care.config.timedTriggerSeconds * 1000))
        box.task = loop.scheduleRepeatedAsyncTask(initialDelay: every, delay: every) { _ in
            loop.makeFutureWithTask {
                do {
                    let n = try await TimedTriggers.sweep(links: care.links, storage: care.storage, on: db)
                    if n > 0 {
                        care.outboxSignal.poke()
                        logger.info("time triggers fired \(n) time(s)")
                    }
                } catch {
                    logger.error("time triggers failed: \(String(reflecting: error))")
                }
            }
        }
    }

    func shutdown(_ app: Application) {
        box.task?.cancel()
    }
}
