import Foundation

/// The embed fragment's HTML, written here rather than by Leaf: it is the one page other sites
/// fetch at volume, and a template engine's reflection over its context cost more than the query
/// behind it. Every value from a shopper, the shop or a URL goes through `HTMLText.escaped`.
enum EmbedFragment {
    static func html(_ c: EmbedController.Context) -> String {
        let t = { (key: String) in HTMLText.escaped(c.t[key] ?? "") }
        var out = ""
        out.reserveCapacity(2_048 + c.reviews.count * 512)
        out += #"<section class="careloop-reviews" lang="\#(t("lang"))" aria-label="\#(t("aria")): \#(HTMLText.escaped(c.productName))""#
        out += #" data-accent="\#(HTMLText.escaped(c.accent))" data-on-accent="\#(HTMLText.escaped(c.onAccent))">"# + "\n"
        if c.count == 0 {
            out += #"  <p class="careloop-none">\#(t("none"))</p>"# + "\n"
        } else {
            out += #"  <div class="careloop-summary">"# + "\n"
            out +=
                #"    <p class="careloop-average"><span class="careloop-score">\#(HTMLText.escaped(c.average))</span> \#(t("outOf")) · \#(c.count) \#(t("reviews"))</p>"#
            out += "\n" + #"    <ul class="careloop-distribution">"# + "\n      "
            for b in c.bars {
                out +=
                    #"<li><span>\#(b.stars) ★</span> <meter min="0" max="100" value="\#(b.percent)">\#(b.percent) %</meter> <span>\#(b.count)</span></li>"#
            }
            out += "\n    </ul>\n  </div>\n"
        }
        out += #"  <ol class="careloop-list">"# + "\n"
        for r in c.reviews {
            out += #"    <li class="careloop-review">"# + "\n"
            out += #"      <p class="careloop-stars" role="img" aria-label="\#(r.rating) \#(t("outOf"))">\#(HTMLText.escaped(r.stars))</p>"# + "\n"
            if let title = r.title, !title.isEmpty { out += #"      <h3 class="careloop-title">\#(HTMLText.escaped(title))</h3>"# + "\n" }
            if let body = r.body, !body.isEmpty { out += #"      <p class="careloop-body">\#(HTMLText.escaped(body))</p>"# + "\n" }
            out += #"      <p class="careloop-meta">\#(HTMLText.escaped(r.author))"#
            if r.verified { out += #" · <span class="careloop-verified">\#(t("verified"))</span>"# }
            out += #" · <time datetime="\#(HTMLText.escaped(r.date))">\#(HTMLText.escaped(r.date))</time></p>"# + "\n"
            if let reply = r.reply, !reply.isEmpty {
                out += #"      <blockquote class="careloop-reply" aria-label="\#(t("reply"))"><p>\#(HTMLText.escaped(reply))</p></blockquote>"# + "\n"
            }
            out += "    </li>\n"
        }
        out += "  </ol>\n"
        out += #"  <p class="careloop-policy"><a href="\#(HTMLText.escaped(c.policyURL))">\#(t("policy"))</a></p>"# + "\n"
        if c.pages > 1 {
            out += #"  <nav class="careloop-pages" aria-label="\#(t("pages"))">"#
            if let previous = c.previous { out += #"<a href="\#(HTMLText.escaped(previous))" rel="prev">\#(t("previous"))</a> "# }
            out += #"<span>\#(t("page")) \#(c.page) \#(t("of")) \#(c.pages)</span>"#
            if let next = c.next { out += #" <a href="\#(HTMLText.escaped(next))" rel="next">\#(t("next"))</a>"# }
            out += "</nav>\n"
        }
        out += "</section>\n"
        return out
    }
}
