import CareCore
import Foundation

/// Everything CareLoop reads from its environment, parsed once. Tests build one by hand.
public struct CareConfig: Sendable {
    public enum DatabaseLocation: Sendable, Equatable {
        case sqlite(path: String)
        case postgres(url: String)

        /// `sqlite://careloop.sqlite` is relative to the working folder, `sqlite:///var/lib/x.sqlite` absolute;
        /// `postgres://` and `postgresql://` name a PostgreSQL server.
        public static func parse(_ raw: String) throws -> DatabaseLocation {
            let value = raw.trimmingCharacters(in: .whitespaces)
            if value.hasPrefix("sqlite://") {
                let path = String(value.dropFirst("sqlite://".count))
                guard !path.isEmpty else { throw ConfigError("CARELOOP_DATABASE_URL: sqlite:// needs a file path") }
                return .sqlite(path: path)
            }
            if value.hasPrefix("postgres://") || value.hasPrefix("postgresql://") {
                return .postgres(url: value)
            }
            throw ConfigError("CARELOOP_DATABASE_URL: expected sqlite://PATH or postgres://user:pass@host:port/db, got '\(value)'")
        }

        public var isSQLite: Bool { if case .sqlite = self { true } else { false } }
    }

    public var database: DatabaseLocation = .sqlite(path: "careloop.sqlite")
    public var host = "127.0.0.1"
    public var port = 8080
    public var publicURL = "http://127.0.0.1:8080"
    /// `CARELOOP_PUBLIC_URL` named the public address: the listen address no longer decides it.
    public var publicURLIsSet = false
    /// Signs tokens. When nil, one is generated on first start and kept in the database.
    public var secret: String?
    /// Migrate the database while booting: on SQLite for every command; on PostgreSQL only with
    /// `--auto-migrate`, since `careloop migrate` is the deploy step there.
    public var autoMigrate = true
    /// Without `autoMigrate`: refuse to start on a database with migrations pending (PostgreSQL `serve`).
    public var requireCurrentSchema = false
    /// `CARELOOP_AUTO_MIGRATE=1`: like `--auto-migrate`, a PostgreSQL `serve` applies pending migrations.
    public var autoMigrateRequested = false
    /// `serve` delivers the outbox and runs the periodic jobs itself; `CARELOOP_SERVE_WORKER=0` leaves
    /// them to `careloop worker` processes.
    public var serveRunsWorker = true
    /// Create the demo store when the database has none (on for `serve`).
    public var seedDemoStore = false
    /// Run the periodic jobs (publishing held reviews at their deadline) in this process.
    public var runBackgroundJobs = false
    /// bcrypt cost; tests lower it to keep sign-ups quick.
    public var bcryptCost = 12
    /// Reviews the public form accepts from one client address: a burst, refilled at `perMinute`.
    public var publicReviewBurst = 10
    public var publicReviewPerMinute = 6
    /// Dashboard sign-ins one client address may try: a burst, refilled at `perMinute`.
    public var signInBurst = 20
    public var signInPerMinute = 10
    /// Trust `X-Forwarded-For` for the client address (only behind a proxy you run).
    public var trustForwardedFor = false
    /// How long a public review list may be served from memory before it is read again. Writes on
    /// this node clear it at once; the bound is for writes made by other nodes sharing the database.
    public var publicCacheSeconds: Double = 2
    /// How long each store's triggers and webhook endpoints are held in memory (see `StoreRulesCache`):
    /// writes on this node clear them at once; the bound is for changes made by other nodes.
    public var rulesCacheSeconds: Double = 2
    /// How long a checked API key is trusted without asking the database again (see `APIKeyCache`).
    public var apiKeyCacheSeconds: Double = 10

    /// Outbound mail. Without an SMTP URL, emails wait in the outbox (and say why) until one is set.
    public var smtpURL: String?
    /// Extra certificate authorities to trust for STARTTLS (a PEM file).
    public var smtpCAFile: String?
    public var mailFrom: String?
    public var mailDomain: String?
    /// The installation's mail pipe (`careloop mail-pipe`) posts with this secret: it reaches every
    /// store through the tokens of CareLoop's addresses. Unset: only stores' own secrets are taken.
    public var inboundSecret: String?
    /// DKIM: the signing domain, selector and a PEM private key file (RSA or Ed25519).
    public var dkimDomain: String?
    public var dkimSelector: String?
    public var dkimKeyFile: String?
    /// The DNS resolver (`host:port`) asked whether a store published its DKIM record; the system's otherwise.
    public var dnsResolver: String?
    /// Run the outbox worker in this process (on for `serve` and `worker`).
    public var runOutboxWorker = false
    public var outboxPollSeconds: Double = 1
    /// How long a person's reply or resolution waits before its mail is queued, so it can be undone.
    public var undoSeconds: Double = 10
    public var retryPolicy = OutboxQueue.RetryPolicy()
    /// How long the link to a customer's page in an email keeps working.
    public var pageLinkDays: Double = 90
    /// How often time triggers (`conversation.unanswered`, `conversation.waiting_customer`) are checked.
    public var timedTriggerSeconds: Double = 30
    /// How often due review requests and reminders are queued.
    public var requestSweepSeconds: Double = 60

    /// A connection that sends and receives nothing for this long is closed: clients that open
    /// connections and never finish a request cannot hold the server's sockets.
    public var idleTimeoutSeconds: Int64 = 15
    /// Connections one client address may hold open at once (the connection gate); 0 turns the
    /// gate off (behind a reverse proxy that caps connections itself).
    public var maxConnectionsPerAddress = 256
    /// Connections all clients together may hold; nil: as many as the process's sockets allow.
    public var maxConnections: Int?
    /// `/metrics` is served only with this bearer token, and not at all without one.
    public var metricsToken: String?
    /// Webhooks may target loopback and private addresses (on-premises receivers, the tests' own).
    public var allowPrivateWebhooks = false

    public init() {}

    /// The mail settings these options make (sender and reply domain default from the host name).
    public func mailSettings() throws -> MailSettings {
        let smtp = try smtpURL.map { url throws(CareError) in try SMTPSettings.parse(url, caFile: smtpCAFile) }
        let host = URLComponents(string: publicURL)?.host ?? "localhost"
        let domain = mailDomain ?? mailFrom.flatMap { $0.split(separator: "@").last.map(String.init) } ?? host
        let from = mailFrom ?? "care@\(domain)"
        var dkim: DKIMSigner?
        if dkimDomain != nil || dkimSelector != nil || dkimKeyFile != nil {
            guard let file = dkimKeyFile, let selector = dkimSelector else {
                throw ConfigError("CARELOOP_DKIM_SELECTOR and CARELOOP_DKIM_KEY_FILE go together (and CARELOOP_DKIM_DOMAIN, else the From domain)")
            }
            guard let pem = try? String(contentsOfFile: file, encoding: .utf8) else {
                throw ConfigError("CARELOOP_DKIM_KEY_FILE: cannot read \(file)")
            }
            let signingDomain = dkimDomain ?? from.split(separator: "@").last.map(String.init) ?? domain
            do { dkim = try DKIMSigner(domain: signingDomain, selector: selector, pem: pem) } catch {
                throw ConfigError("CARELOOP_DKIM_*: \(error.message)")
            }
        }
        return MailSettings(smtp: smtp, fromAddress: from, domain: domain, dkim: dkim)
    }

    /// Where this process can be reached when nobody said otherwise: the listen address, with a
    /// wildcard host (`0.0.0.0`, `::`) named as the loopback address a local browser can open.
    var listenURL: String {
        let shown =
            switch host {
            case "0.0.0.0", "": "127.0.0.1"
            case "::", "[::]": "[::1]"
            case let h where h.contains(":") && !h.hasPrefix("["): "[\(h)]"
            default: host
            }
        return "http://\(shown):\(port)"
    }

    /// Takes the listen address from `serve`'s own options (`--hostname`/`-H`, `--port`/`-p`,
    /// `--bind`/`-b HOST:PORT`), which Vapor applies after this configuration is read: without this,
    /// `serve --port 18333` listened on 18333 while every link in pages and emails said 8080.
    public mutating func listen(arguments: [String]) throws {
        var i = 0
        while i < arguments.count {
            let name = arguments[i]
            var value: String? = i + 1 < arguments.count ? arguments[i + 1] : nil
            var step = 2
            // `--port=18333` as well as `--port 18333`
            var flag = name
            if name.hasPrefix("--"), let eq = name.firstIndex(of: "=") {
                flag = String(name[..<eq])
                value = String(name[name.index(after: eq)...])
                step = 1
            }
            switch flag {
            case "--hostname", "-H":
                guard let value, !value.isEmpty else { throw ConfigError("\(flag): needs a host name") }
                host = value
            case "--port", "-p":
                guard let value, let p = Int(value), (1...65535).contains(p) else {
                    throw ConfigError("\(flag): not a port number: \(value ?? "")")
                }
                port = p
            case "--bind", "-b":
                guard let value, let colon = value.lastIndex(of: ":"), let p = Int(value[value.index(after: colon)...]),
                    (1...65535).contains(p), colon > value.startIndex
                else { throw ConfigError("\(flag): expected HOST:PORT, got \(value ?? "")") }
                host = String(value[..<colon])
                port = p
            default:
                step = 1
            }
            i += step
        }
        if !publicURLIsSet { publicURL = listenURL }
    }

    public static func fromEnvironment(_ env: [String: String] = ProcessInfo.processInfo.environment) throws -> CareConfig {
        var c = CareConfig()
        if let url = env["CARELOOP_DATABASE_URL"], !url.isEmpty { c.database = try .parse(url) }
        if let host = env["CARELOOP_HOST"], !host.isEmpty { c.host = host }
        if let port = env["CARELOOP_PORT"], !port.isEmpty {
            guard let p = Int(port), (1...65535).contains(p) else { throw ConfigError("CARELOOP_PORT: not a port number: \(port)") }
            c.port = p
        }
        if let url = env["CARELOOP_PUBLIC_URL"], !url.isEmpty {
            c.publicURL = url
            c.publicURLIsSet = true
        } else {
            c.publicURL = c.listenURL
        }
        if let secret = env["CARELOOP_SECRET"], !secret.isEmpty {
            guard secret.count >= 32 else { throw ConfigError("CARELOOP_SECRET: use at least 32 characters") }
            c.secret = secret
        }
        if let v = env["CARELOOP_TRUST_FORWARDED_FOR"] { c.trustForwardedFor = ["1", "true", "yes"].contains(v.lowercased()) }
        if let v = env["CARELOOP_PUBLIC_REVIEWS_PER_MINUTE"], let n = Int(v), n > 0 { c.publicReviewPerMinute = n }
        if let v = env["CARELOOP_SMTP_URL"], !v.isEmpty { c.smtpURL = v }
        if let v = env["CARELOOP_SMTP_CA_FILE"], !v.isEmpty { c.smtpCAFile = v }
        if let v = env["CARELOOP_MAIL_FROM"], !v.isEmpty { c.mailFrom = v }
        if let v = env["CARELOOP_MAIL_DOMAIN"], !v.isEmpty { c.mailDomain = v }
        if let v = env["CARELOOP_INBOUND_SECRET"], !v.isEmpty {
            guard v.count >= 32, v.count <= 200 else { throw ConfigError("CARELOOP_INBOUND_SECRET: use 32 to 200 characters") }
            c.inboundSecret = v
        }
        if let v = env["CARELOOP_DKIM_DOMAIN"], !v.isEmpty { c.dkimDomain = v }
        if let v = env["CARELOOP_DKIM_SELECTOR"], !v.isEmpty { c.dkimSelector = v }
        if let v = env["CARELOOP_DKIM_KEY_FILE"], !v.isEmpty { c.dkimKeyFile = v }
        if let v = env["CARELOOP_DNS_RESOLVER"], !v.isEmpty { c.dnsResolver = v }
        if let v = env["CARELOOP_UNDO_SECONDS"], !v.isEmpty {
            guard let n = Double(v), n.isFinite, (0...60).contains(n) else { throw ConfigError("CARELOOP_UNDO_SECONDS must be 0 to 60") }
            c.undoSeconds = n
        }
        if let v = env["CARELOOP_RETRY_BASE_SECONDS"], let n = Double(v), n > 0 { c.retryPolicy.baseDelay = n }
        if let v = env["CARELOOP_PUBLIC_CACHE_SECONDS"], let n = Double(v), n >= 0 { c.publicCacheSeconds = n }
        if let v = env["CARELOOP_RULES_CACHE_SECONDS"], !v.isEmpty {
            guard let n = Double(v), n >= 0, n <= 3_600 else {
                throw ConfigError("CARELOOP_RULES_CACHE_SECONDS: a number of seconds from 0 to 3600: \(v)")
            }
            c.rulesCacheSeconds = n
        }
        if let v = env["CARELOOP_REQUEST_SWEEP_SECONDS"], let n = Double(v), n >= 0.1, n <= 3_600 { c.requestSweepSeconds = n }
        if let v = env["CARELOOP_PAGE_LINK_DAYS"], let n = Double(v), n > 0 { c.pageLinkDays = n }
        if let v = env["CARELOOP_SIGN_IN_BURST"], let n = Int(v), n > 0 { c.signInBurst = n }
        if let v = env["CARELOOP_SIGN_IN_PER_MINUTE"], let n = Int(v), n > 0 { c.signInPerMinute = n }
        if let v = env["CARELOOP_PUBLIC_REVIEWS_BURST"], let n = Int(v), n > 0 { c.publicReviewBurst = n }
        if let v = env["CARELOOP_METRICS_TOKEN"], !v.isEmpty { c.metricsToken = v }
        if let v = env["CARELOOP_IDLE_TIMEOUT_SECONDS"], let n = Int64(v), (1...3600).contains(n) { c.idleTimeoutSeconds = n }
        // Behind a trusted proxy every connection comes from the proxy: only the total cap applies.
        if c.trustForwardedFor { c.maxConnectionsPerAddress = Int(Int32.max) }
        if let v = env["CARELOOP_MAX_CONNECTIONS_PER_ADDRESS"], !v.isEmpty {
            guard let n = Int(v), (0...1_000_000).contains(n) else {
                throw ConfigError("CARELOOP_MAX_CONNECTIONS_PER_ADDRESS: a whole number from 0 to 1000000: \(v)")
            }
            c.maxConnectionsPerAddress = n
        }
        if let v = env["CARELOOP_MAX_CONNECTIONS"], !v.isEmpty {
            guard let n = Int(v), (1...1_000_000).contains(n) else {
                throw ConfigError("CARELOOP_MAX_CONNECTIONS: a whole number from 1 to 1000000: \(v)")
            }
            c.maxConnections = n
        }
        if let v = env["CARELOOP_AUTO_MIGRATE"] { c.autoMigrateRequested = ["1", "true", "yes"].contains(v.lowercased()) }
        if let v = env["CARELOOP_SERVE_WORKER"] { c.serveRunsWorker = !["0", "false", "no"].contains(v.lowercased()) }
        if let v = env["CARELOOP_ALLOW_PRIVATE_WEBHOOKS"] { c.allowPrivateWebhooks = ["1", "true", "yes"].contains(v.lowercased()) }
        return c
    }
}

public struct ConfigError: Error, CustomStringConvertible {
    public let description: String
    public init(_ d: String) { description = d }
}
