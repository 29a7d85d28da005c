import CareCore
import Fluent
import FluentPostgresDriver
import Leaf
import LeafKit
import Vapor

/// Builds the whole application from a config: used by `main` and by every test, so both run the same thing.
public func buildApplication(config: CareConfig, environment: Environment = .development, metrics: CareMetrics = CareMetrics()) async throws
    -> Application
{
    let app = try await Application.make(environment)
    do {
        try await configure(app, config: config, metrics: metrics)
        return app
    } catch {
        try? await app.asyncShutdown()
        throw error
    }
}

public func configure(_ app: Application, config: CareConfig, metrics: CareMetrics) async throws {
    app.http.server.configuration.hostname = config.host
    app.http.server.configuration.port = config.port
    app.routes.defaultMaxBodySize = "64kb"
    app.http.server.configuration.idleTimeout = .seconds(config.idleTimeoutSeconds)
    SocketLimit.raise()
    if config.maxConnectionsPerAddress > 0 {
        let total = min(config.maxConnections ?? Int.max, SocketLimit.connectionBudget())
        let gate = ConnectionGate(application: app, limits: .init(perAddress: config.maxConnectionsPerAddress, total: total))
        app.connectionGate = gate
        app.servers.use { _ in gate }
        // Vapor's own "Server started on" would name the private relay port; the gate logs the real one.
        app.http.server.configuration.logger.logLevel = .warning
    }

    try await useDatabase(config.database, on: app)
    app.migrations.add(CareMigrations.all)
    let sqlitePath: String? = if case .sqlite(let path) = config.database { path } else { nil }
    if config.autoMigrate {
        try await DatabaseMigrations.apply(app, sqliteFile: sqlitePath)
    } else if config.requireCurrentSchema {
        let pending = try await DatabaseMigrations.pending(app)
        guard pending.isEmpty else {
            throw ConfigError(
                "the database is \(pending.count) migration(s) behind this version of CareLoop: "
                    + "run `careloop migrate` first, or start with --auto-migrate (CARELOOP_AUTO_MIGRATE=1)")
        }
    }

    // After every committed write: a queued delivery wakes this node's outbox worker at once, the
    // public review lists the write changed are dropped from memory, and reviews taken in are counted.
    let outboxSignal = OutboxSignal()
    let publicListCache = PublicListCache(maxAge: config.publicCacheSeconds)
    let storage = CareStorage(
        sqlitePath: sqlitePath, connectionLost: DatabaseOutage.connectionLost, gaveWay: DatabaseOutage.gaveWay,
        rules: StoreRulesCache(maxAge: config.rulesCacheSeconds),
        afterCommit: { effects in
            if effects.queuedDelivery { outboxSignal.poke() }
            for changed in effects.changedLists { publicListCache.invalidate(changed) }
            for received in effects.receivedReviews { metrics.reviewReceived(source: received.source, status: received.status) }
        })
    let hasher = BcryptHasher(cost: config.bcryptCost)
    let mailReaders = MailReaders()
    app.lifecycle.use(mailReaders)
    let secret: String
    if let configured = config.secret {
        secret = configured
    } else {
        secret = try await InstallationSecret.loadOrCreate(storage: storage, on: app.db)
    }
    app.care = CareServices(
        config: config, storage: storage, hasher: hasher, secret: secret,
        publicReviewLimiter: RateLimiter(burst: config.publicReviewBurst, perMinute: config.publicReviewPerMinute),
        signInLimiter: RateLimiter(burst: config.signInBurst, perMinute: config.signInPerMinute),
        publicListCache: publicListCache, metrics: metrics,
        apiKeyCache: APIKeyCache(maxAge: config.apiKeyCacheSeconds),
        links: CareLinks(publicURL: config.publicURL, secret: secret, pageLinkLifetime: config.pageLinkDays * 86_400),
        passwordLinks: PasswordLinks(secret: secret), outboxSignal: outboxSignal,
        mail: try config.mailSettings(), mailReaders: mailReaders)

    // Templates ship inside the CareWeb bundle, so pages render whatever the working folder is.
    // The bundle may sit under a hidden folder (.build/): keep the sandbox, allow that path.
    if let views = Bundle.module.resourceURL?.appendingPathComponent("Views").path {
        app.leaf.configuration = LeafConfiguration(rootDirectory: views + "/")
        app.leaf.sources = .singleSource(
            NIOLeafFiles(
                fileio: app.fileio, limits: [.toSandbox, .requireExtensions],
                sandboxDirectory: views, viewDirectory: views))
    }
    // The templates are part of the build: read and parsed once, whatever the environment. Leaf's
    // own renderer turns its cache off in development (the default environment of `careloop serve`),
    // and lexing and parsing each template again cost an inbox page over a fifth of its time.
    app.leaf.tags["link"] = SiteLinkTag()
    app.views.use { app in
        var userInfo = app.leaf.userInfo
        userInfo["application"] = app
        return LeafRenderer(
            configuration: app.leaf.configuration, tags: app.leaf.tags, cache: app.leaf.cache, sources: app.leaf.sources,
            eventLoop: app.eventLoopGroup.next(), userInfo: userInfo)
    }
    app.middleware = Middlewares()
    app.middleware.use(RequestServices(care: app.care))
    app.middleware.use(CareErrorMiddleware(environment: app.environment))
    app.middleware.use(RequestDeadline(seconds: 10))
    app.middleware.use(MultipartOnlyForFiles())
    app.middleware.use(PublicCORS())
    app.middleware.use(MethodNotAllowed(routes: app.routes))
    try routes(app)
    app.asyncCommands.use(CreateStoreCommand(), as: "create-store")
    app.asyncCommands.use(AddStaffCommand(), as: "add-staff")
    app.asyncCommands.use(MigrateCommand(), as: "migrate")
    app.asyncCommands.use(WorkerCommand(), as: "worker")
    app.asyncCommands.use(BackupCommand(), as: "backup")
    app.asyncCommands.use(CustomerCommand(), as: "customer")
    app.asyncCommands.use(ImportCommand(), as: "import")
    app.asyncCommands.use(ExportCommand(), as: "export")

    if config.seedDemoStore, let demo = try await DemoStore.seedIfEmpty(hasher: hasher, links: app.care.links, storage: storage, on: app.db) {
        // Printed once: the password and key are stored only as hashes.
        print(
            """
            Created the demo store '\(demo.storeSlug)'.
              Owner sign-in: \(demo.ownerEmail) / \(demo.ownerPassword)
              API key:       \(demo.apiKey)
              Try:           curl \(config.publicURL)/api/v1/public/stores/demo/products/kettle-02/reviews
            """)
    }
    for handler in BackgroundWork.handlers(config: config, outbox: config.runOutboxWorker, periodic: config.runBackgroundJobs) {
        app.lifecycle.use(handler)
    }
}

private func useDatabase(_ location: CareConfig.DatabaseLocation, on app: Application) async throws {
    switch location {
    case .sqlite(let path):
        let dir = URL(fileURLWithPath: path).deletingLastPathComponent().path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        guard SQLiteFile.libraryIsRecentEnough else {
            throw ConfigError("CareLoop needs SQLite 3.35 or newer (for RETURNING); this system has \(SQLiteFile.libraryVersion)")
        }
        app.databases.use(.sqlite(SQLiteConnections(path: path)), as: .sqlite)
        // WAL: readers never wait for the writer. The default synchronous=FULL syncs the WAL at every
        // commit, so a review answered with 201 is on disk, even if the machine loses power.
        let sync = try await SQLiteFile.useWAL(on: app.db)
        app.logger.notice("SQLite \(path): journal_mode=wal synchronous=\(sync.map(String.init) ?? "?") (2 = FULL)")
    case .postgres(let url):
        try app.databases.use(.postgres(url: url, maxConnectionsPerEventLoop: 8), as: .psql)
    }
}
