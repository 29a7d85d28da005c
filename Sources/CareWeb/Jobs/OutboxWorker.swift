import CareCore
import Fluent
import NIOConcurrencyHelpers
import Vapor

/// Delivers the outbox: runs inside `serve` and as `careloop worker`.
///
/// Deliveries run side by side, each on its own, so one slow receiver never holds the others up:
/// a job starts as soon as a slot is free (at most `maxInFlight` at once), each store has at most
/// `perStore` deliveries going and at most `webhooksPerStore` of them webhooks (a store's broken
/// receiver can take neither another store's slots nor all of its own mail's), and every delivery has
/// a total deadline. Two lanes: care (a message to a customer in a conversation, webhooks) is claimed
/// before bulk (review requests, reminders, notifications), and bulk takes at most `bulkInFlight`
/// slots and `bulkPerStore` of a store's, so a morning's requests never stand between a customer and
/// the care mail they are owed, in their store or another. Claims are short leases renewed while a delivery runs, so the jobs of a node
/// that dies are picked up by the others within seconds. Wakes on this node's pokes, and polls every
/// second for jobs written by other nodes and for retries coming due.
final class OutboxWorker: LifecycleHandler, @unchecked Sendable {
    static let maxInFlight = 16
    static let perStore = 4
    static let webhooksPerStore = 2
    static let bulkInFlight = 10
    static let bulkPerStore = 2
    static let lease: TimeInterval = 20
    static let renewEvery: TimeInterval = 5
    /// A whole delivery, whatever the receiver does: SMTP conversations are longer than a webhook post.
    static let emailDeadline: TimeInterval = 60
    static let webhookDeadline: TimeInterval = 15
    static let recordDeadline: TimeInterval = 10

    /// On stopping, how long the deliveries under way may take to finish before they are cancelled
    /// (a cancelled one is delivered again after its lease, under the same Message-ID or webhook-id).
    static let drainSeconds: TimeInterval = 5

    private var task: Task<Void, Never>?
    private let running = Running()
    private let completions = OutboxCompletions()
    private let stopping = NIOLockedValueBox(false)

    func didBoot(_ app: Application) throws {
        let care = app.care
        let db = app.db
        let running = running
        let logger = Logger(label: "careloop.outbox")
        // Without a mail server, emails wait in the outbox rather than failing over and over; webhooks still go.
        var kinds: [OutboxKind] = [.email, .webhook]
        if care.mail.smtp == nil {
            logger.warning("CARELOOP_SMTP_URL is not set: care emails are queued in the outbox and sent once it is")
            kinds = [.webhook]
        }
        let claimKinds = kinds
        let stopping = stopping
        let completions = completions
        task = Task {
            await withDiscardingTaskGroup { group in
                group.addTask { await Self.renewLeases(running, care: care, db: db, logger: logger) }
                while !Task.isCancelled, !stopping.withLockedValue({ $0 }) {
                    let free = Self.maxInFlight - running.count
                    guard free > 0 else {
                        await care.outboxSignal.wait(upTo: care.config.outboxPollSeconds)
                        continue
                    }
                    do {
                        let busy = running.busyStores()
                        var jobs = try await OutboxQueue.claim(
                            limit: free, lease: Self.lease, kinds: claimKinds, lane: 0,
                            excludingStores: busy.full, excludingWebhooksOf: busy.webhooksFull,
                            storage: care.storage, on: db)
                        let bulkFree = min(free - jobs.count, Self.bulkInFlight - busy.bulk)
                        if bulkFree > 0, claimKinds.contains(.email) {
                            jobs += try await OutboxQueue.claim(
                                limit: bulkFree, lease: Self.lease, kinds: [.email], lane: 1,
                                excludingStores: busy.full + busy.bulkFull, storage: care.storage, on: db)
                        }
                        var overCap: [UUID] = []
                        for job in jobs {
                            guard running.start(job) else {
                                overCap.append(job.id)
                                continue
                            }
                            group.addTask {
                                await Self.run(job, care: care, db: db, completions: completions, logger: logger)
                                running.finish(job.id)
                                care.outboxSignal.poke() // a slot is free: look for more
                            }
                        }
                        // Claimed in the same batch as others of a store at its cap: back in line, untouched.
                        if !overCap.isEmpty { try await OutboxQueue.release(overCap, storage: care.storage, on: db) }
                        if jobs.count - overCap.count == 0 { await care.outboxSignal.wait(upTo: care.config.outboxPollSeconds) }
                    } catch {
                        logger.error("outbox claim failed: \(String(reflecting: error))")
                        try? await Task.sleep(nanoseconds: 1_000_000_000)
                    }
                }
                // Stopping: nothing more is claimed; what is under way may finish (its lease still renewed).
                let until = Date().addingTimeInterval(Self.drainSeconds)
                while !Task.isCancelled, running.count > 0 || !completions.idle, Date() < until {
                    try? await Task.sleep(nanoseconds: 50_000_000)
                }
                group.cancelAll()
            }
        }
    }

    /// Keeps the leases of the deliveries in progress from running out while they run.
    static func renewLeases(_ running: Running, care: CareServices, db: any Database, logger: Logger) async {
        while !Task.isCancelled {
            try? await Task.sleep(nanoseconds: UInt64(renewEvery * 1_000_000_000))
            let ids = running.ids
            guard !ids.isEmpty else { continue }
            do { try await OutboxQueue.renew(ids, lease: lease, storage: care.storage, on: db) } catch {
                logger.warning("outbox lease renewal failed: \(error)")
            }
        }
    }

    static func run(_ job: OutboxQueue.Claimed, care: CareServices, db: any Database, completions: OutboxCompletions, logger: Logger) async {
        let deadline = job.kind == .webhook ? webhookDeadline : emailDeadline
        do {
            let completion = NIOLockedValueBox<OutboxQueue.Completion?>(nil)
            let givesUp = Date().addingTimeInterval(deadline)
            try await withDeadline(seconds: deadline) {
                let also = try await OutboxDelivery.deliver(
                    job, mail: care.mail, links: care.links, allowPrivateWebhooks: care.config.allowPrivateWebhooks, deadline: givesUp,
                    storage: care.storage, on: db)
                completion.withLockedValue { $0 = also }
            }
            // Recorded with the others that finished meanwhile; the slot is free now.
            completions.add(job, also: completion.withLockedValue { $0 }, care: care, db: db, logger: logger)
        } catch {
            let transient: Bool
            if case OutboxDelivery.Failure.permanent = error { transient = false } else { transient = true }
            try? await withDeadline(seconds: recordDeadline) {
                let status = try await OutboxQueue.failed(
                    job, error: "\(error)", transient: transient,
                    policy: care.config.retryPolicy, storage: care.storage, on: db)
                logger.warning("outbox job \(job.id) attempt \(job.attempts + 1) failed (\(status.rawValue)): \(error)")
            }
        }
    }

    func shutdown(_ app: Application) {
        task?.cancel()
        app.care.outboxSignal.poke()
    }

    /// Stops claiming, lets the deliveries under way finish (at most `drainSeconds`), then returns.
    func shutdownAsync(_ app: Application) async {
        stopping.withLockedValue { $0 = true }
        app.care.outboxSignal.poke()
        await task?.value
    }

    /// The deliveries this worker has going, by store.
    final class Running: Sendable {
        private let jobs = NIOLockedValueBox<[UUID: (store: UUID, webhook: Bool, bulk: Bool)]>([:])

        var count: Int { jobs.withLockedValue { $0.count } }
        var ids: [UUID] { jobs.withLockedValue { Array($0.keys) } }

        /// Stores at their cap, at their webhook cap and at their bulk cap, and the bulk deliveries going.
        func busyStores() -> (full: [UUID], webhooksFull: [UUID], bulkFull: [UUID], bulk: Int) {
            jobs.withLockedValue { all in
                var total: [UUID: Int] = [:]
                var hooks: [UUID: Int] = [:]
                var bulk: [UUID: Int] = [:]
                for j in all.values {
                    total[j.store, default: 0] += 1
                    if j.webhook { hooks[j.store, default: 0] += 1 }
                    if j.bulk { bulk[j.store, default: 0] += 1 }
                }
                return (
                    total.filter { $0.value >= OutboxWorker.perStore }.map(\.key),
                    hooks.filter { $0.value >= OutboxWorker.webhooksPerStore }.map(\.key),
                    bulk.filter { $0.value >= OutboxWorker.bulkPerStore }.map(\.key),
                    bulk.values.reduce(0, +)
                )
            }
        }

        /// Takes the job on, or false when its store (or the node's bulk) is at a cap.
        func start(_ job: OutboxQueue.Claimed) -> Bool {
            jobs.withLockedValue { all in
                let mine = all.values.filter { $0.store == job.storeID }
                let webhook = job.kind == .webhook
                let bulk = job.lane == 1
                guard mine.count < OutboxWorker.perStore, !webhook || mine.filter(\.webhook).count < OutboxWorker.webhooksPerStore,
                    !bulk || (mine.filter(\.bulk).count < OutboxWorker.bulkPerStore && all.values.filter(\.bulk).count < OutboxWorker.bulkInFlight)
                else { return false }
                all[job.id] = (job.storeID, webhook, bulk)
                return true
            }
        }

        func finish(_ id: UUID) { _ = jobs.withLockedValue { $0.removeValue(forKey: id) } }
    }
}

/// Runs `body`, or gives up on it after `seconds` with a transient failure (see `Deadline`).
func withDeadline(seconds: TimeInterval, _ body: @escaping @Sendable () async throws -> Void) async throws {
    try await Deadline.run(seconds: seconds, orThrow: { OutboxDelivery.Failure.transient("no answer within \(Int(seconds)) s") }, body)
}
