import Vapor

/// The work a node does besides answering HTTP: delivering the outbox and the periodic jobs. One
/// list, run by `serve` (unless `CARELOOP_SERVE_WORKER=0`) and by `careloop worker`.
enum BackgroundWork {
    static func handlers(config: CareConfig, outbox: Bool, periodic: Bool) -> [any LifecycleHandler] {
        var work: [any LifecycleHandler] = []
        if periodic {
            work += [
                PeriodicJob.moderationDeadline, PeriodicJob.retention, PeriodicJob.strandedMail,
                PeriodicJob.timedTriggers(every: config.timedTriggerSeconds),
                PeriodicJob.reviewRequests(every: config.requestSweepSeconds),
            ]
        }
        if outbox { work.append(OutboxWorker()) }
        return work
    }
}
