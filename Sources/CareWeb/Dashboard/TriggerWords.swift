import CareCore

/// The trigger editor in a shop's words: "Rating · is at most · 2", "Assign to · Maya". The API's
/// names stay the values the form sends; people only see these.
enum TriggerWords {
    static func event(_ e: TriggerEvent) -> String {
        switch e {
        case .reviewCreated: "A review is posted"
        case .reviewUpdated: "A customer updates their review"
        case .conversationOpened: "A conversation opens"
        case .conversationCustomerReplied: "The customer replies"
        case .conversationResolved: "A conversation is resolved"
        case .conversationUnanswered: "Nobody has answered for a while"
        case .conversationWaitingCustomer: "The customer has been quiet for a while"
        }
    }

    static func attribute(_ a: TriggerAttribute) -> String {
        switch a {
        case .reviewRating: "Rating"
        case .reviewTitle: "Review title"
        case .reviewBody: "Review text"
        case .reviewVerified: "Verified purchase (yes / no)"
        case .reviewSentiment: "Tone of the text (-1 to 1)"
        case .reviewLukewarm: "Lukewarm review (yes / no)"
        case .reviewSource: "Where the review came from"
        case .productExternalID: "Product id"
        case .productName: "Product name"
        case .customerEmail: "Customer's email"
        case .customerReviewCount: "Customer's number of reviews"
        case .customerLifetimeValue: "Customer's lifetime spend"
        case .customerOpenConversations: "Customer's open conversations"
        case .conversationStatus: "Conversation status"
        case .conversationPriority: "Conversation priority"
        case .conversationTags: "Conversation tags"
        case .conversationMinutesSinceStaffReply: "Minutes since our last reply"
        case .conversationDaysSinceCustomerReply: "Days since the customer wrote"
        }
    }

    static func op(_ o: TriggerOperator) -> String {
        switch o {
        case .eq: "is"
        case .ne: "is not"
        case .lt: "is less than"
        case .lte: "is at most"
        case .gt: "is more than"
        case .gte: "is at least"
        case .in: "is one of"
        case .contains: "contains"
        case .matches: "matches the pattern"
        }
    }

    static func action(_ t: TriggerActionType) -> String {
        switch t {
        case .openConversation: "Open a conversation with the customer"
        case .sendMessage: "Send the customer a message"
        case .addNote: "Add an internal note"
        case .assign: "Assign to"
        case .setPriority: "Set the priority"
        case .addTag: "Add a tag"
        case .setSLA: "Set the first-reply target (minutes)"
        case .notifyStaff: "Email the team"
        case .resolve: "Resolve the conversation"
        case .sendWebhook: "Send a webhook"
        }
    }

    /// What the action's "Message" and "Setting" boxes mean for it (nil: the box is not used).
    static func uses(_ t: TriggerActionType?) -> (text: String?, setting: String?, agent: Bool, priority: Bool) {
        switch t {
        case .openConversation: ("First message", "Subject (optional)", false, false)
        case .sendMessage: ("Message", nil, false, false)
        case .addNote: ("Note", nil, false, false)
        case .assign: (nil, nil, true, false)
        case .setPriority: (nil, nil, false, true)
        case .addTag: (nil, "Tag", false, false)
        case .setSLA: (nil, "Minutes", false, false)
        case .notifyStaff: ("Email text", "One address (optional: the whole team)", false, false)
        case .resolve: ("Resolution note (optional)", nil, false, false)
        case .sendWebhook: (nil, nil, false, false)
        case nil: ("Message", "Setting", true, true)
        }
    }
}
