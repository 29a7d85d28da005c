import Foundation

/// Trigger definitions and rule patterns read through the application's cache (its
/// `StoreRulesCache`: the one given, or the one of the write this runs in); with neither, parsed afresh.
enum TriggerCache {
    static func definition(_ json: String, rules: StoreRulesCache? = nil) -> TriggerDefinition? {
        if let rules = rules ?? WriteEffects.current?.rules { return rules.definition(json) }
        return try? TriggerJSON.parse(Data(json.utf8))
    }

    static func pattern(_ source: String) -> LinearPattern? {
        if let rules = WriteEffects.current?.rules { return rules.pattern(source) }
        return try? LinearPattern(source)
    }
}
