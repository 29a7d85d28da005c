import Foundation

/// Message templates with `{{placeholder}}` slots. Only known placeholders are accepted on save, so
/// a typo is caught by the person writing the trigger, not by the customer reading "{{custmer.name}}".
public enum Template {
    public static let placeholders: Set<String> = [
        "customer.first_name", "customer.name", "customer.email",
        "product.name", "product.url",
        "review.title", "review.body", "review.rating",
        "store.name", "conversation.link",
    ]

    /// The placeholders a template uses, in order; throws for an unknown or unclosed one.
    public static func validate(_ template: String, field: String) throws(CareError) -> [String] {
        var found: [String] = []
        var rest = Substring(template)
        while let open = rest.range(of: "{{") {
            guard let close = rest[open.upperBound...].range(of: "}}") else {
                throw .invalid(field, "has a '{{' without a closing '}}'")
            }
            let name = rest[open.upperBound..<close.lowerBound].trimmingCharacters(in: .whitespaces)
            guard placeholders.contains(name) else {
                throw .invalid(field, "unknown placeholder {{\(name)}}; use one of \(placeholders.sorted().joined(separator: ", "))")
            }
            found.append(name)
            rest = rest[close.upperBound...]
        }
        return found
    }

    /// Fills the slots; a value that is missing reads as empty (taking the space before it along, so
    /// "For {{product.name}} try" never reads "For  try"), except a missing first name, which reads as
    /// `firstNameFallback` ("Hi there,"; German greets "Hallo," with none).
    public static func render(_ template: String, values: [String: String], firstNameFallback: String = "there") -> String {
        render(template, values: values, maxBytes: .max, firstNameFallback: firstNameFallback)!
    }

    /// As `render`, but nil as soon as the text would pass `maxBytes` (a template repeating a long
    /// placeholder hundreds of times is stopped before it is built).
    public static func render(_ template: String, values: [String: String], maxBytes: Int, firstNameFallback: String = "there") -> String? {
        var out = ""
        var rest = Substring(template)
        while let open = rest.range(of: "{{"), let close = rest[open.upperBound...].range(of: "}}") {
            out += rest[..<open.lowerBound]
            let name = rest[open.upperBound..<close.lowerBound].trimmingCharacters(in: .whitespaces)
            let value = values[name].flatMap { $0.isEmpty ? nil : $0 } ?? (name == "customer.first_name" ? firstNameFallback : "")
            let after = rest[close.upperBound...].first
            if value.isEmpty, out.last == " ", after == nil || after == " " || after == "," || after == "." || after == "!" || after == "?" {
                out.removeLast()
            }
            out += value
            guard out.utf8.count <= maxBytes else { return nil }
            rest = rest[close.upperBound...]
        }
        out += rest
        return out.utf8.count <= maxBytes ? out : nil
    }
}
