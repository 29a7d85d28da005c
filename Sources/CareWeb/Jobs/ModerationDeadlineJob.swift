import CareCore
import NIOCore
import Vapor

/// Once a minute, publishes reviews whose hold has run out. A held review is never held forever.
struct ModerationDeadlineJob: LifecycleHandler {
    final class Box: @unchecked Sendable { var task: RepeatedTask? }
    let box = Box()

    func didBoot(_ app: Application) throws {
        let care = app.care
        let db = app.db
        let logger = app.logger
        let loop = app.eventLoopGroup.next()
        box.task = loop.scheduleRepeatedAsyncTask(initialDelay: .seconds(1), delay: .seconds(60)) { _ in
            loop.makeFutureWithTask {
                do {
                    let n = try await ReviewModeration.publishDue(storage: care.storage, on: db)
                    if n > 0 {
                        care.publicListCache.invalidateAll()
                        logger.info("published \(n) held review(s) at their deadline")
                    }
                } catch {
                    logger.error("publishing held reviews failed: \(String(reflecting: error))")
                }
            }
        }
    }

    func shutdown(_ app: Application) {
        box.task?.cancel()
    }
}
