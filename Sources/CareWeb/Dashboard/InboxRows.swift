/// The inbox's rows as HTML, written here rather than by the template: fifty rows of a dozen values
/// each were most of what Leaf spent on an inbox page. The markup is the one `app-inbox.leaf`
/// places with `#unsafeHTML`; every value goes through `HTMLText.escaped`.
enum InboxRows {
    static func html(_ rows: [InboxPageController.Row]) -> String {
        func e(_ s: String) -> String { HTMLText.escaped(s) }
        var out = ""
        out.reserveCapacity(rows.count * 700)
        for row in rows {
            out += #"  <li><a class="row\#(row.customerWroteLast ? " customer-last" : "")" href="\#(e(row.href))">"# + "\n"
            out += #"    <span class="who">"#
            if let stars = row.stars { out += #"<span class="stars" aria-label="\#(e(row.starsLabel ?? ""))">\#(e(stars))</span> "# }
            out += e(row.customer) + "</span>\n"
            out +=
                #"    <span class="line"><span class="badge\#(row.customerWroteLast ? " waiting-us" : "")">\#(e(row.lastBy))</span> \#(e(row.firstLine))</span>"#
            out +=
                "\n" + #"    <span class="meta when"><time datetime="\#(e(row.isoTime))" title="\#(e(row.exact))">\#(e(row.ago))</time></span>"#
                + "\n"
            out += #"    <span class="meta due\#(row.overdue ? " overdue" : "")">\#(e(row.due))</span>"# + "\n"
            out += #"    <span class="meta">"#
            if let product = row.product, !product.isEmpty { out += e(product) + " · " }
            for t in row.tags { out += #"<span class="tag">\#(e(t))</span> "# }
            out += #"<span class="\#(row.urgent ? "prio-high" : "")">\#(e(row.priority))</span> · \#(e(row.assignee))</span>"# + "\n"
            out += "  </a></li>\n"
        }
        return out
    }
}
