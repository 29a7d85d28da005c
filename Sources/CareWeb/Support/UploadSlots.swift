import Foundation
import NIOConcurrencyHelpers
import Vapor

/// How many large uploads (a customer's reply with photos, up to 25 MB) are read at once: per
/// conversation, per store and in all. Each holds its body in memory until it is stored, so the
/// bound is on memory as much as on work; one customer, or one store's customers, cannot take
/// every slot, and a text-only reply never needs one.
final class UploadSlots: Sendable {
    struct Ticket: Sendable {
        let store: UUID
        let conversation: UUID
    }
    private struct State: Sendable {
        var conversations: [UUID: Int] = [:]
        var stores: [UUID: Int] = [:]
        var total = 0
    }

    let perConversation: Int
    let perStore: Int
    let total: Int
    private let state = NIOLockedValueBox(State())

    init(perConversation: Int = 2, perStore: Int = 8, total: Int = 16) {
        self.perConversation = perConversation
        self.perStore = perStore
        self.total = total
    }

    /// A slot, or nil when this conversation, its store or the whole node has as many as it may.
    func take(store: UUID, conversation: UUID) -> Ticket? {
        state.withLockedValue { s in
            guard s.total < total, s.stores[store, default: 0] < perStore, s.conversations[conversation, default: 0] < perConversation
            else { return nil }
            s.total += 1
            s.stores[store, default: 0] += 1
            s.conversations[conversation, default: 0] += 1
            return Ticket(store: store, conversation: conversation)
        }
    }

    func release(_ t: Ticket) {
        state.withLockedValue { s in
            s.total -= 1
            s.stores[t.store, default: 1] -= 1
            if s.stores[t.store] == 0 { s.stores.removeValue(forKey: t.store) }
            s.conversations[t.conversation, default: 1] -= 1
            if s.conversations[t.conversation] == 0 { s.conversations.removeValue(forKey: t.conversation) }
        }
    }

    var inUse: Int { state.withLockedValue { $0.total } }
}
