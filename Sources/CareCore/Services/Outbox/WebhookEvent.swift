/// What a webhook endpoint is told about: the names as endpoints subscribe to them and as each
/// delivery's `type` says.
public enum WebhookEvent: String, Sendable, CaseIterable {
    case reviewCreated = "review.created"
    case reviewUpdated = "review.updated"
    case conversationOpened = "conversation.opened"
    case conversationMessageCreated = "conversation.message_created"
    case conversationResolved = "conversation.resolved"
    /// Sent by a trigger's `send_webhook` action.
    case triggerFired = "trigger.fired"
    /// Sent to one endpoint on request ("send a test event"); nobody subscribes to it.
    case test = "webhook.test"

    /// The events an endpoint can subscribe to.
    public static var subscribable: [WebhookEvent] { allCases.filter { $0 != .test } }
}
