/// The two triggers every new store starts with. Both are ordinary triggers: the store can edit,
/// disable or delete them. Their texts speak English and German (`CareLanguage.localized`).
public enum DefaultTriggers {
    public static let lowRating = TriggerDefinition(
        name: "Low rating: reach out",
        event: .reviewCreated,
        conditions: .all([.compare(attribute: .reviewRating, op: .lte, value: .number(2))]),
        actions: [
            .openConversation(template: lowRatingText, subject: lowRatingSubject),
            .setPriority(.high),
            .setSLA(minutes: 60),
        ])

    public static let lukewarm = TriggerDefinition(
        name: "Lukewarm: ask what would have made it great",
        event: .reviewCreated,
        conditions: .all([.compare(attribute: .reviewLukewarm, op: .eq, value: .bool(true))]),
        actions: [
            .openConversation(template: lukewarmText, subject: lukewarmSubject),
            .setPriority(.normal),
        ])

    public static let all = [lowRating, lukewarm]

    static let lowRatingEnglish = """
        Hi {{customer.first_name}},

        I'm sorry {{product.name}} let you down. I read your review and I'd like to put this right.
        Could you tell me what went wrong? Just reply to this email; a real person (me) will answer.

        {{store.name}}
        """
    static let lowRatingText =
        lowRatingEnglish + """


            [de]
            Hallo {{customer.first_name}},

            es tut mir leid, dass {{product.name}} Sie enttäuscht hat. Ich habe Ihre Bewertung gelesen und möchte das in Ordnung bringen.
            Was ist schiefgelaufen? Antworten Sie einfach auf diese E-Mail; ein echter Mensch (ich) antwortet Ihnen.

            {{store.name}}
            """
    static let lowRatingSubject = "About your {{product.name}} review [de] Zu Ihrer Bewertung von {{product.name}}"

    static let lukewarmEnglish = """
        Hi {{customer.first_name}},

        Thank you for reviewing {{product.name}}. "Good" is good, but we'd like it to be great:
        what one thing would have made it great for you? Just reply; I read every answer.

        {{store.name}}
        """
    static let lukewarmText =
        lukewarmEnglish + """


            [de]
            Hallo {{customer.first_name}},

            danke, dass Sie {{product.name}} bewertet haben. „Gut“ ist gut, aber wir möchten, dass es großartig ist:
            Was hätte es für Sie großartig gemacht? Antworten Sie einfach; ich lese jede Antwort.

            {{store.name}}
            """
    static let lukewarmSubject = "What would have made {{product.name}} great? [de] Was hätte {{product.name}} großartig gemacht?"

    /// The English-only texts stores were given before the defaults spoke German, read as the new ones.
    static let bilingual: [String: String] = [
        lowRatingEnglish: lowRatingText, "About your {{product.name}} review": lowRatingSubject,
        lukewarmEnglish: lukewarmText, "What would have made {{product.name}} great?": lukewarmSubject,
    ]
}
