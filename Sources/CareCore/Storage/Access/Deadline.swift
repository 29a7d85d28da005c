import Foundation
import NIOConcurrencyHelpers

/// Waiting with a limit on something that may never answer (a receiver, a database connection that
/// broke mid-query). The work is cancelled and left to end by itself: the caller does not wait for it,
/// which a task group would (it awaits its children).
public enum Deadline {
    public static func run(
        seconds: TimeInterval, orThrow timeout: @escaping @Sendable () -> any Error,
        _ body: @escaping @Sendable () async throws -> Void
    ) async throws {
        let once = NIOLockedValueBox<CheckedContinuation<Void, any Error>?>(nil)
        let timer = NIOLockedValueBox<Task<Void, Never>?>(nil)
        @Sendable func finish(_ result: Result<Void, any Error>) -> Bool {
            guard
                let c = once.withLockedValue({ c -> CheckedContinuation<Void, any Error>? in
                    defer { c = nil }
                    return c
                })
            else { return false }
            c.resume(with: result)
            return true
        }
        try await withCheckedThrowingContinuation { (c: CheckedContinuation<Void, any Error>) in
            once.withLockedValue { $0 = c }
            let work = Task {
                do {
                    try await body()
                    _ = finish(.success(()))
                } catch { _ = finish(.failure(error)) }
                timer.withLockedValue { $0?.cancel() }
            }
            timer.withLockedValue { t in
                t = Task {
                    try? await Task.sleep(nanoseconds: UInt64(seconds * 1_000_000_000))
                    guard !Task.isCancelled else { return }
                    if finish(.failure(timeout())) { work.cancel() }
                }
            }
        }
    }
}
