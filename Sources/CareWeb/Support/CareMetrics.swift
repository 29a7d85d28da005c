import CareCore
import Prometheus
import Vapor

/// CareLoop's own Prometheus metrics, and the registry `/metrics` renders. `main` also routes
/// swift-metrics (Vapor's request counters and timers) into the same registry.
public struct CareMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
    }

    /// Reviews taken in, by how they came and what moderation decided.
    func reviewReceived(source: ReviewSource, status: ReviewStatus) {
        registry.makeCounter(
            name: "careloop_reviews_received_total",
            labels: [("source", source.rawValue), ("status", status.rawValue)],
            help: "Reviews taken in, by source and by the status they got"
        ).increment()
    }

    func outboxDelivered() {
        registry.makeCounter(name: "careloop_outbox_delivered_total", labels: [], help: "Emails and webhooks delivered").increment()
    }

    /// Served only to `Authorization: Bearer $CARELOOP_METRICS_TOKEN`; without a token set, not at all
    /// (the figures tell an outsider how busy every store is).
    static func render(_ req: Request) async throws -> Response {
        guard let token = req.care.config.metricsToken else { throw Abort(.notFound) }
        guard let given = req.headers.bearerAuthorization?.token, Secrets.constantTimeEqual(given, token) else {
            throw CareError.metricsToken(message: "send the metrics token as 'Authorization: Bearer <token>'")
        }
        return Response(
            status: .ok, headers: ["Content-Type": "text/plain; version=0.0.4; charset=utf-8"],
            body: .init(string: req.care.metrics.registry.emitToString()))
    }
}
