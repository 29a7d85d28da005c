/// What a trigger does when it fires. Templates may use the placeholders in `Template.placeholders`.
public enum TriggerAction: Sendable, Equatable {
    /// Opens a conversation with the customer; the template is the first message, sent by email.
    case openConversation(template: String, subject: String?)
    case sendMessage(template: String)
    case addNote(template: String)
    /// An agent's email, or "round_robin".
    case assign(to: String)
    case setPriority(ConversationPriority)
    case addTag(String)
    /// First-response target in minutes.
    case setSLA(minutes: Int)
    /// Emails the store's staff (all of them, or one address).
    case notifyStaff(template: String, to: String?)
    /// Posts the event to the store's webhooks subscribed to it.
    case sendWebhook
    case resolve(note: String?)

    public var type: TriggerActionType {
        switch self {
        case .openConversation: .openConversation
        case .sendMessage: .sendMessage
        case .addNote: .addNote
        case .assign: .assign
        case .setPriority: .setPriority
        case .addTag: .addTag
        case .setSLA: .setSLA
        case .notifyStaff: .notifyStaff
        case .sendWebhook: .sendWebhook
        case .resolve: .resolve
        }
    }
}

/// The names of the actions, as the JSON, the API document and the dashboard's form spell them.
public enum TriggerActionType: String, Sendable, CaseIterable {
    case openConversation = "open_conversation"
    case sendMessage = "send_message"
    case addNote = "add_note"
    case assign
    case setPriority = "set_priority"
    case addTag = "add_tag"
    case setSLA = "set_sla"
    case notifyStaff = "notify_staff"
    case sendWebhook = "send_webhook"
    case resolve
}

public enum ConversationPriority: String, Sendable, Codable, CaseIterable {
    case low, normal, high, urgent
}
