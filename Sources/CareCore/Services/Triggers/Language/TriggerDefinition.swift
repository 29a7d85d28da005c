import Foundation

/// The events a trigger can listen for.
public enum TriggerEvent: String, Sendable, Codable, CaseIterable {
    case reviewCreated = "review.created"
    case reviewUpdated = "review.updated"
    case conversationOpened = "conversation.opened"
    case conversationCustomerReplied = "conversation.customer_replied"
    case conversationResolved = "conversation.resolved"
    /// Time events: checked by a job, with `after_minutes` saying how long.
    case conversationUnanswered = "conversation.unanswered"
    case conversationWaitingCustomer = "conversation.waiting_customer"

    public var isTimed: Bool { self == .conversationUnanswered || self == .conversationWaitingCustomer }

    /// Events that cannot happen twice to the same review or conversation.
    public var happensOncePerSubject: Bool { self == .reviewCreated || self == .conversationOpened }
}

/// A trigger as a person writes it: event → conditions → actions, stored as readable JSON.
public struct TriggerDefinition: Sendable, Equatable {
    public var name: String
    public var event: TriggerEvent
    public var conditions: TriggerCondition
    public var actions: [TriggerAction]
    /// At most once per subject (review or conversation) unless false.
    public var oncePerSubject: Bool
    /// For time events: how long the silence must last.
    public var afterMinutes: Int?

    public init(
        name: String, event: TriggerEvent, conditions: TriggerCondition = .always, actions: [TriggerAction],
        oncePerSubject: Bool = true, afterMinutes: Int? = nil
    ) {
        self.name = name
        self.event = event
        self.conditions = conditions
        self.actions = actions
        self.oncePerSubject = oncePerSubject
        self.afterMinutes = afterMinutes
    }
}
