import CareCore
import Vapor

/// Reading and writing JSON bodies with the API's conventions: snake_case keys (spelled out in each
/// type's CodingKeys), ISO 8601 dates, and errors that name the field at fault in the caller's spelling.
enum JSONBody {
    static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.dateEncodingStrategy = .custom { date, encoder in
            var c = encoder.singleValueContainer()
            try c.encode(formatDate(date))
        }
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return e
    }()

    static let decoder: JSONDecoder = {
        let d = JSONDecoder()
        d.dateDecodingStrategy = .custom { decoder in
            let c = try decoder.singleValueContainer()
            let s = try c.decode(String.self)
            guard let date = parseDate(s) else {
                throw DecodingError.dataCorruptedError(in: c, debugDescription: "must be an ISO 8601 date-time such as 2026-05-01T12:00:00Z")
            }
            return date
        }
        return d
    }()

    static func formatDate(_ date: Date) -> String { ISODate.format(date) }

    static func parseDate(_ s: String) -> Date? {
        if let d = try? Date(s, strategy: .iso8601) { return d }
        return try? Date(s, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }

    /// Decodes the request body; any problem becomes a `CareError` naming the field.
    static func decode<T: Decodable>(_ type: T.Type, from req: Request) throws -> T {
        guard let buffer = req.body.data, buffer.readableBytes > 0 else {
            throw CareError.emptyBody(message: "the request needs a JSON body")
        }
        if let type = req.headers.contentType, type != .json, !(type.type == "application" && type.subType.hasSuffix("+json")) {
            throw CareError.unsupportedMediaType(message: "send the body as application/json")
        }
        do {
            return try decoder.decode(T.self, from: Data(buffer: buffer))
        } catch let error as DecodingError {
            throw describe(error)
        }
    }

    static func describe(_ error: DecodingError) -> CareError {
        func path(_ keys: [any CodingKey], adding key: (any CodingKey)? = nil) -> String {
            var out = ""
            for k in keys + (key.map { [$0] } ?? []) {
                if let i = k.intValue { out += "[\(i)]" } else { out += out.isEmpty ? k.stringValue : ".\(k.stringValue)" }
            }
            return out
        }
        switch error {
        case .keyNotFound(let key, let ctx):
            return .missing(path(ctx.codingPath, adding: key))
        case .valueNotFound(_, let ctx):
            return .missing(path(ctx.codingPath))
        case .typeMismatch(let type, let ctx):
            let field = path(ctx.codingPath)
            return field.isEmpty
                ? CareError.malformedJSON(message: "the body must be a JSON object")
                : .invalid(field, "must be \(describe(type))")
        case .dataCorrupted(let ctx):
            let field = path(ctx.codingPath)
            if field.isEmpty {
                return CareError.malformedJSON(message: "the body is not valid JSON (or not valid UTF-8)")
            }
            return .invalid(field, ctx.debugDescription)
        @unknown default:
            return CareError.malformedJSON(message: "the body could not be read")
        }
    }

    private static func describe(_ type: Any.Type) -> String {
        switch type {
        case is Int.Type, is Int64.Type: "a whole number"
        case is Double.Type: "a number"
        case is String.Type: "a string"
        case is Bool.Type: "true or false"
        case is Date.Type: "an ISO 8601 date-time string"
        default: String(describing: type).contains("Array") ? "a list" : "an object"
        }
    }

    /// A value's JSON: written in order by `JSONStream`, or by Foundation when that cannot (which
    /// also explains a value that is not JSON, such as an infinite number).
    static func data<T: Encodable>(_ value: T) throws -> Data {
        if let bytes = try? JSONStream.encode(value) { return Data(bytes) }
        return try encoder.encode(value)
    }

    static func response<T: Encodable>(_ value: T, status: HTTPResponseStatus = .ok) throws -> Response {
        let headers: HTTPHeaders = ["Content-Type": "application/json; charset=utf-8"]
        guard let bytes = try? JSONStream.encode(value) else {
            // What JSONStream cannot write in order (or refuses), Foundation writes (or explains).
            return Response(status: status, headers: headers, body: .init(data: try encoder.encode(value)))
        }
        return Response(status: status, headers: headers, body: .init(buffer: ByteBuffer(bytes: bytes)))
    }
}

/// Dates in API bodies written as JSONBody's ISO 8601 text directly, as a String. JSONEncoder's
/// custom date strategy makes a nested encoder for every date: on a list of 25 conversations (six
/// dates each) that was a large part of the encoding.
extension KeyedEncodingContainer {
    mutating func encodeDate(_ date: Date, forKey key: Key) throws {
        try encode(JSONBody.formatDate(date), forKey: key)
    }

    mutating func encodeDate(_ date: Date?, forKey key: Key) throws {
        guard let date else { return try encodeNil(forKey: key) }
        try encode(JSONBody.formatDate(date), forKey: key)
    }

    /// A UUID as its text, for the same reason.
    mutating func encodeID(_ id: UUID?, forKey key: Key) throws {
        guard let id else { return try encodeNil(forKey: key) }
        try encode(id.uuidString, forKey: key)
    }
}
