import CareWeb
import Foundation
import Logging
import Metrics
import Prometheus
import Vapor

// The `careloop` executable: serve (the default), migrate, worker, create-store and the ops commands.
// All wiring lives in CareWeb's buildApplication so tests run exactly what this runs.
// First, while this is the only thread: few allocator arenas, so a busy node's memory stays flat.
Allocator.limitArenas()
// Commands that touch no database and start no server: run before anything else is set up (the
// mail pipe runs as the mail server's unprivileged user, for every mail).
switch CommandLine.arguments.dropFirst().first {
case "mail-pipe": exit(await MailPipeCommand.run(Array(CommandLine.arguments.dropFirst(2))))
case "dkim": exit(DKIMCommand.run(Array(CommandLine.arguments.dropFirst(2))))
case "mail": exit(MailSamplesCommand.run(Array(CommandLine.arguments.dropFirst(2))))
default: break
}
var env = try Environment.detect()
// `--auto-migrate` is CareLoop's, not Vapor's serve option: take it out before Vapor reads the rest.
let autoMigrateFlag = env.arguments.contains("--auto-migrate")
env.arguments.removeAll { $0 == "--auto-migrate" }
env.arguments = CommandArguments.reordered(env.arguments)
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

let config: CareConfig
do {
    var c = try CareConfig.fromEnvironment()
    if serving { try c.listen(arguments: Array(env.arguments.dropFirst())) }
    c.seedDemoStore = serving
    // `serve` runs the background work too unless CARELOOP_SERVE_WORKER=0 (web nodes beside `careloop
    // worker` nodes); the `worker` command runs it itself.
    c.runBackgroundJobs = serving && c.serveRunsWorker
    c.runOutboxWorker = serving && c.serveRunsWorker
    // SQLite: every command migrates (one file, zero setup). PostgreSQL: `careloop migrate` is the
    // deploy step; `serve` refuses a database that is behind unless told to migrate it.
    if case .postgres = c.database {
        c.autoMigrate = command == "migrate" || autoMigrateFlag || c.autoMigrateRequested
        c.requireCurrentSchema = command != "backup" // backup is SQLite's; it says so itself
    }
    config = c
} catch {
    FileHandle.standardError.write(Data("careloop: \(error)\n".utf8))
    exit(2)
}

// Vapor's request metrics and CareLoop's own land in one registry, served at /metrics.
let metrics = CareMetrics()
MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: metrics.registry))

let app: Application
do {
    app = try await buildApplication(config: config, environment: env, metrics: metrics)
} catch let error as ConfigError {
    FileHandle.standardError.write(Data("careloop: \(error)\n".utf8))
    exit(2)
} catch {
    FileHandle.standardError.write(Data("careloop: could not start: \(String(reflecting: error))\n".utf8))
    exit(1)
}
do {
    try await app.execute()
    try await app.asyncShutdown()
} catch {
    app.logger.report(error: error)
    try? await app.asyncShutdown()
    exit(1)
}
