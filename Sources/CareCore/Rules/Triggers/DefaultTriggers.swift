/// The two triggers every new store starts with. Both are ordinary triggers: the store can edit,
/// disable or delete them.
public enum DefaultTriggers {
    public static let lowRating = TriggerDefinition(
        name: "Low rating: reach out",
        event: .reviewCreated,
        conditions: .all([.compare(attribute: .reviewRating, op: .lte, value: .number(2))]),
        actions: [
            .openConversation(
                template: """
                    Hi {{customer.first_name}},

                    I'm sorry {{product.name}} let you down. I read your review and I'd like to put this right.
                    Could you tell me what went wrong? Just reply to this email; a real person (me) will answer.

                    {{store.name}}
                    """,
                subject: "About your {{product.name}} review"),
            .setPriority(.high),
            .setSLA(minutes: 60),
        ])

    public static let lukewarm = TriggerDefinition(
        name: "Lukewarm: ask what would have made it great",
        event: .reviewCreated,
        conditions: .all([.compare(attribute: .reviewLukewarm, op: .eq, value: .bool(true))]),
        actions: [
            .openConversation(
                template: """
                    Hi {{customer.first_name}},

                    Thank you for reviewing {{product.name}}. "Good" is good, but we'd like it to be great:
                    what one thing would have made it great for you? Just reply; I read every answer.

                    {{store.name}}
                    """,
                subject: "What would have made {{product.name}} great?"),
            .setPriority(.normal),
        ])

    public static let all = [lowRating, lukewarm]
}
