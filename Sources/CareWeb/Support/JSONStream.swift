import CareCore
import Foundation

/// Writes an `Encodable` value as JSON straight into bytes, in the order its `encode(to:)` writes
/// it: no tree of values in between and no key sorting, which made Foundation's encoder the biggest
/// cost of an API list. The API's views write their keys one after another; a value that reaches back
/// into a container it already left (legal for `Encodable`, never done here) makes `encode` throw
/// `JSONStream.OutOfOrder`, and `JSONBody` then uses Foundation's encoder for it.
enum JSONStream {
    struct OutOfOrder: Error {}

    static func encode<T: Encodable>(_ value: T) throws -> [UInt8] {
        let sink = Sink()
        try sink.value(value)
        if sink.outOfOrder { throw OutOfOrder() }
        return sink.bytes
    }

    /// Where the bytes go, and the containers open now (innermost last).
    final class Sink {
        var bytes: [UInt8] = []
        /// Each open container: its identity, whether it is an object, whether it holds an item yet.
        var open: [(id: Int, object: Bool, used: Bool)] = []
        /// Set when a value asked for something that cannot be written in order where no error can be
        /// thrown (a second container of the other kind, a container nested in a closed one).
        var outOfOrder = false
        private var nextID = 0

        init() { bytes.reserveCapacity(4096) }

        func begin(object: Bool) -> Int {
            nextID += 1
            bytes.append(object ? UInt8(ascii: "{") : UInt8(ascii: "["))
            open.append((nextID, object, false))
            return nextID
        }

        /// Closes every container opened after `depth` ones.
        func close(downTo depth: Int) {
            while open.count > depth {
                bytes.append(open.removeLast().object ? UInt8(ascii: "}") : UInt8(ascii: "]"))
            }
        }

        /// Gets container `id` (at `depth`) ready for its next item: closes what was opened inside it,
        /// writes the comma. Throws when the container was closed already.
        func next(in id: Int, at depth: Int) throws {
            guard open.count >= depth, open[depth - 1].id == id else { throw OutOfOrder() }
            close(downTo: depth)
            if open[depth - 1].used { bytes.append(UInt8(ascii: ",")) }
            open[depth - 1].used = true
        }

        func key(_ key: some CodingKey, in id: Int, at depth: Int) throws {
            try next(in: id, at: depth)
            string(key.stringValue)
            bytes.append(UInt8(ascii: ":"))
        }

        /// One value at the current position.
        /// The types views write most, known by their type's identity alone: the metadata of
        /// `String?` and the like looked up per value, or a cast tried per value, cost more than
        /// writing the value.
        private static let stringType = ObjectIdentifier(String.self)
        private static let optionalStringType = ObjectIdentifier(String?.self)
        private static let intType = ObjectIdentifier(Int.self)
        private static let optionalIntType = ObjectIdentifier(Int?.self)
        private static let boolType = ObjectIdentifier(Bool.self)
        private static let optionalBoolType = ObjectIdentifier(Bool?.self)
        private static let doubleType = ObjectIdentifier(Double.self)
        private static let dateType = ObjectIdentifier(Date.self)
        private static let uuidType = ObjectIdentifier(UUID.self)

        /// Writes `value` if its type is one of those; false otherwise.
        private func known<T>(_ value: T) throws -> Bool {
            switch ObjectIdentifier(T.self) {
            case Self.stringType: string(unsafeBitCast(value, to: String.self))
            case Self.optionalStringType: unsafeBitCast(value, to: String?.self).map(string) ?? null()
            case Self.intType: bytes.append(contentsOf: String(unsafeBitCast(value, to: Int.self)).utf8)
            case Self.optionalIntType: unsafeBitCast(value, to: Int?.self).map { bytes.append(contentsOf: String($0).utf8) } ?? null()
            case Self.boolType: bool(unsafeBitCast(value, to: Bool.self))
            case Self.optionalBoolType: unsafeBitCast(value, to: Bool?.self).map(bool) ?? null()
            case Self.doubleType: try number(unsafeBitCast(value, to: Double.self))
            case Self.dateType: string(ISODate.format(unsafeBitCast(value, to: Date.self)))
            case Self.uuidType: string(unsafeBitCast(value, to: UUID.self).uuidString)
            default: return false
            }
            return true
        }

        /// One value at the current position (a container's item): a known type, or the value
        /// writing itself.
        func value<T: Encodable>(_ value: T) throws {
            if try known(value) { return }
            try nested(value)
        }

        /// What a single-value container is given: besides the known types, any other primitive
        /// (a value's own `encode(to:)` hands those back here, so they must end here).
        func primitive<T: Encodable>(_ value: T) throws {
            if try known(value) { return }
            switch value {
            case let s as String: string(s)
            case let b as Bool: bool(b)
            case let n as any BinaryInteger: bytes.append(contentsOf: String(describing: n).utf8)
            case let d as Double: try number(d)
            case let f as Float: try number(Double(f), text: f.description)
            case let d as Decimal: bytes.append(contentsOf: d.description.utf8)
            case let date as Date: string(ISODate.format(date))
            case let id as UUID: string(id.uuidString)
            case let url as URL: string(url.absoluteString)
            default: try nested(value)
            }
        }

        private func nested<T: Encodable>(_ value: T) throws {
            // A dictionary's keys come in hash order, which differs from process to process: written
            // sorted, the same content is the same bytes (and ETag) on every node and after a restart.
            if let map = value as? any SortedMap { return try map.writeSorted(to: self) }
            let depth = open.count
            let before = bytes.count
            try value.encode(to: Writer(sink: self, depth: depth))
            if bytes.count == before { bytes.append(contentsOf: "{}".utf8) } // nothing written: an empty object, as Foundation does
            close(downTo: depth)
        }

        func bool(_ b: Bool) { bytes.append(contentsOf: (b ? "true" : "false").utf8) }

        func null() { bytes.append(contentsOf: "null".utf8) }

        func number(_ d: Double, text: String? = nil) throws {
            guard d.isFinite else { throw EncodingError.invalidValue(d, .init(codingPath: [], debugDescription: "not a finite number")) }
            // Whole numbers without ".0", as Foundation writes them.
            if d == d.rounded(), abs(d) < 1e15 {
                bytes.append(contentsOf: String(Int64(d)).utf8)
            } else {
                bytes.append(contentsOf: (text ?? d.description).utf8)
            }
        }

        func string(_ s: String) {
            bytes.append(UInt8(ascii: "\""))
            var s = s
            s.withUTF8 { utf8 in
                var start = 0
                for (i, byte) in utf8.enumerated() where byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
                    bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start..<i]))
                    start = i + 1
                    switch byte {
                    case UInt8(ascii: "\""): bytes.append(contentsOf: #"\""#.utf8)
                    case UInt8(ascii: "\\"): bytes.append(contentsOf: #"\\"#.utf8)
                    case 0x0A: bytes.append(contentsOf: #"\n"#.utf8)
                    case 0x0D: bytes.append(contentsOf: #"\r"#.utf8)
                    case 0x09: bytes.append(contentsOf: #"\t"#.utf8)
                    default:
                        let hex = Array("0123456789abcdef".utf8)
                        bytes.append(contentsOf: #"\u00"#.utf8)
                        bytes.append(hex[Int(byte >> 4)])
                        bytes.append(hex[Int(byte & 0xF)])
                    }
                }
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start...]))
            }
            bytes.append(UInt8(ascii: "\""))
        }
    }

    /// The `Encoder` a value writes itself to; `depth` is how many containers were open around it.
    /// No container keeps a coding path: building one per key was an allocation per value written,
    /// and only error messages read it (the views write no value that can fail).
    struct Writer: Encoder {
        let sink: Sink
        let depth: Int
        var codingPath: [any CodingKey] { [] }
        var userInfo: [CodingUserInfoKey: Any] { [:] }

        /// The container this value opened, opened on first use (a value asking twice gets the same one).
        private func opened(object: Bool) -> Int {
            if sink.open.count > depth {
                if sink.open[depth].object == object { return sink.open[depth].id }
                sink.outOfOrder = true
            }
            sink.close(downTo: depth)
            return sink.begin(object: object)
        }

        func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
            KeyedEncodingContainer(Object<Key>(sink: sink, id: opened(object: true), depth: depth + 1))
        }

        func unkeyedContainer() -> any UnkeyedEncodingContainer {
            List(sink: sink, id: opened(object: false), depth: depth + 1)
        }

        func singleValueContainer() -> any SingleValueEncodingContainer { Single(sink: sink) }
    }

    struct Object<Key: CodingKey>: KeyedEncodingContainerProtocol {
        let sink: Sink
        let id: Int
        let depth: Int
        var codingPath: [any CodingKey] { [] }

        mutating func encodeNil(forKey key: Key) throws {
            try sink.key(key, in: id, at: depth)
            sink.bytes.append(contentsOf: "null".utf8)
        }

        mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
            try sink.key(key, in: id, at: depth)
            try sink.value(value)
        }

        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
            // Cannot throw here: a misplaced key leaves the sink as it is, and the next write throws.
            if (try? sink.key(key, in: id, at: depth)) == nil {
                sink.outOfOrder = true
                return KeyedEncodingContainer(Object<NestedKey>(sink: sink, id: -1, depth: depth + 1))
            }
            return KeyedEncodingContainer(
                Object<NestedKey>(sink: sink, id: sink.begin(object: true), depth: depth + 1))
        }

        mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
            if (try? sink.key(key, in: id, at: depth)) == nil {
                sink.outOfOrder = true
                return List(sink: sink, id: -1, depth: depth + 1)
            }
            return List(sink: sink, id: sink.begin(object: false), depth: depth + 1)
        }

        mutating func superEncoder() -> any Encoder { Refused() }
        mutating func superEncoder(forKey key: Key) -> any Encoder { Refused() }
    }

    struct List: UnkeyedEncodingContainer {
        let sink: Sink
        let id: Int
        let depth: Int
        var codingPath: [any CodingKey] { [] }
        private(set) var count = 0

        init(sink: Sink, id: Int, depth: Int) {
            self.sink = sink
            self.id = id
            self.depth = depth
        }

        mutating func encodeNil() throws {
            try sink.next(in: id, at: depth)
            sink.bytes.append(contentsOf: "null".utf8)
            count += 1
        }

        mutating func encode<T: Encodable>(_ value: T) throws {
            try sink.next(in: id, at: depth)
            try sink.value(value)
            count += 1
        }

        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
            count += 1
            if (try? sink.next(in: id, at: depth)) == nil {
                sink.outOfOrder = true
                return KeyedEncodingContainer(Object<NestedKey>(sink: sink, id: -1, depth: depth + 1))
            }
            return KeyedEncodingContainer(Object<NestedKey>(sink: sink, id: sink.begin(object: true), depth: depth + 1))
        }

        mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
            count += 1
            if (try? sink.next(in: id, at: depth)) == nil {
                sink.outOfOrder = true
                return List(sink: sink, id: -1, depth: depth + 1)
            }
            return List(sink: sink, id: sink.begin(object: false), depth: depth + 1)
        }

        mutating func superEncoder() -> any Encoder { Refused() }
    }

    struct Single: SingleValueEncodingContainer {
        let sink: Sink
        var codingPath: [any CodingKey] { [] }
        var refused = false

        mutating func encodeNil() throws {
            if refused { throw OutOfOrder() }
            sink.bytes.append(contentsOf: "null".utf8)
        }

        mutating func encode<T: Encodable>(_ value: T) throws {
            if refused { throw OutOfOrder() }
            try sink.primitive(value)
        }
    }

    /// `superEncoder` (class hierarchies) is not written in order; asking for it ends the attempt.
    struct Refused: Encoder {
        var codingPath: [any CodingKey] { [] }
        var userInfo: [CodingUserInfoKey: Any] { [:] }
        func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
            KeyedEncodingContainer(Object<Key>(sink: Sink(), id: -1, depth: 1))
        }
        func unkeyedContainer() -> any UnkeyedEncodingContainer { List(sink: Sink(), id: -1, depth: 1) }
        func singleValueContainer() -> any SingleValueEncodingContainer { Single(sink: Sink(), refused: true) }
    }

    /// A dictionary with text keys, written with its keys sorted.
    protocol SortedMap {
        func writeSorted(to sink: Sink) throws
    }

    struct TextKey: CodingKey {
        let stringValue: String
        var intValue: Int? { nil }
        init(_ s: String) { stringValue = s }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }
}

extension Dictionary: JSONStream.SortedMap where Key == String, Value: Encodable {
    func writeSorted(to sink: JSONStream.Sink) throws {
        let outer = sink.open.count
        let id = sink.begin(object: true)
        for key in keys.sorted() {
            let k = JSONStream.TextKey(key)
            try sink.key(k, in: id, at: outer + 1)
            try sink.value(self[key]!)
        }
        sink.close(downTo: outer)
    }
}
