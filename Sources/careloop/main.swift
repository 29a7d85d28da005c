import CareWeb
import Logging
import Vapor

// The `careloop` executable: serve (the default), migrate, create-store. All wiring lives in CareWeb's
// buildApplication so tests run exactly what this runs.
var env = try Environment.detect()
try LoggingSystem.bootstrap(from: &env)

var config = try CareConfig.fromEnvironment()
let command = env.arguments.dropFirst().first
let serving = command == nil || command == "serve" || command!.hasPrefix("-")
config.seedDemoStore = serving
config.runBackgroundJobs = serving

let app = try await buildApplication(config: config, environment: env)
do {
    try await app.execute()
    try await app.asyncShutdown()
} catch {
    app.logger.report(error: error)
    try? await app.asyncShutdown()
    exit(1)
}
