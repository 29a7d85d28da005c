import CareWeb
import Logging
import Metrics
import Prometheus
import Vapor

// The `careloop` executable: serve (the default), migrate, create-store. All wiring lives in CareWeb's
// buildApplication so tests run exactly what this runs.
var env = try Environment.detect()
let command = env.arguments.dropFirst().first
let serving = command == nil || command == "serve" || command!.hasPrefix("-")
if serving {
    try LoggingSystem.bootstrap(from: &env)
} else {
    // Commands print their result on stdout (create-store prints JSON): logs go to stderr.
    LoggingSystem.bootstrap { label in
        var handler = StreamLogHandler.standardError(label: label)
        handler.logLevel = .notice
        return handler
    }
}

var config = try CareConfig.fromEnvironment()
config.seedDemoStore = serving
config.runBackgroundJobs = serving || command == "worker"
config.runOutboxWorker = serving || command == "worker"

// Vapor's request metrics and CareLoop's own land in one registry, served at /metrics.
let metrics = CareMetrics()
MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: metrics.registry))

let app = try await buildApplication(config: config, environment: env, metrics: metrics)
do {
    try await app.execute()
    try await app.asyncShutdown()
} catch {
    app.logger.report(error: error)
    try? await app.asyncShutdown()
    exit(1)
}
