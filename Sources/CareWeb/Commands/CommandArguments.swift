/// Vapor's commands read their positional arguments first and options after; people type
/// `careloop import reviews --store shop --format judgeme FILE.csv`. For the commands that take a
/// file, the positional words are moved in front of the options, keeping their order.
public enum CommandArguments {
    /// Options of `import` and `export` that take a value (the word after them is not positional).
    static let valued: Set<String> = ["--store", "--format", "--skipped", "--output", "--batch-rows"]
    static let commands: Set<String> = ["import", "export"]

    public static func reordered(_ arguments: [String]) -> [String] {
        guard arguments.count > 2, commands.contains(arguments[1]) else { return arguments }
        var positional: [String] = []
        var options: [String] = []
        var i = 2
        while i < arguments.count {
            let word = arguments[i]
            if word.hasPrefix("--") {
                options.append(word)
                if valued.contains(word), i + 1 < arguments.count {
                    options.append(arguments[i + 1])
                    i += 1
                }
            } else {
                positional.append(word)
            }
            i += 1
        }
        return Array(arguments[0..<2]) + positional + options
    }
}
