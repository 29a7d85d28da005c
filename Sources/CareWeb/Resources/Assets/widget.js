/* CareLoop reviews widget. One tag on a shop's page:
 *   <script src="https://HOST/widget.js" data-store="SLUG" data-product="ID" async></script>
 * (the reviews appear right after the tag), or, so that nothing on the page moves when they arrive,
 * a placeholder sized by the stylesheet before the script runs:
 *   <link rel="stylesheet" href="https://HOST/widget.css">
 *   <div data-careloop-reviews="ID"></div>
 * Star summaries on product cards, all in one request: <div data-careloop-product="ID"></div>.
 * data-lang="en|de" on the script tag. Plain JavaScript, no dependencies. Text from reviews is only
 * ever set as text or comes server-escaped: nothing a reviewer writes can run here. */
(function () {
  "use strict";
  var me = document.currentScript || document.querySelector("script[data-store][src*='widget.js']");
  if (!me) return;
  var base = new URL(me.src, location.href).origin;
  var store = me.getAttribute("data-store") || "";
  var lang = me.getAttribute("data-lang") === "de" ? "de" : "en";
  var T = {
    en: { write: "Write a review", rating: "Your rating", title: "Title", body: "Your review", name: "Your name", email: "Your email (not shown)",
      send: "Send review", thanks: "Thank you! Please confirm your review with the link we just emailed you.", failed: "That did not work: ",
      stars: " out of 5", reviews: " reviews", none: "No reviews yet", help: "Need help with your order? Talk to us", more: "Show all reviews on this page" },
    de: { write: "Bewertung schreiben", rating: "Ihre Bewertung", title: "Titel", body: "Ihre Bewertung", name: "Ihr Name",
      email: "Ihre E-Mail (nicht sichtbar)", send: "Bewertung senden", thanks: "Danke! Bitte bestätigen Sie Ihre Bewertung mit dem Link aus unserer E-Mail.",
      failed: "Das hat nicht geklappt: ", stars: " von 5", reviews: " Bewertungen", none: "Noch keine Bewertungen",
      help: "Hilfe bei Ihrer Bestellung? Schreiben Sie uns", more: "Alle Bewertungen dieser Seite zeigen" }
  }[lang];
  var CSS = ":host{all:initial;display:block;font:15px/1.5 system-ui,sans-serif;color:#1a1a1a}" +
    ".ol-clip{overflow:hidden}.more{padding:.5rem 0;text-align:center;border-top:1px solid #eee}.cl{box-sizing:border-box;padding:.75rem;border:1px solid #ddd;border-radius:8px;background:#fff}" +
    "ol{list-style:none;margin:0;padding:0}li.careloop-review{border-top:1px solid #eee;padding:.6rem 0}" +
    ".careloop-stars,.s{color:#a86200;margin:0;letter-spacing:1px}.careloop-score{font-size:1.6em;font-weight:700}" +
    ".careloop-distribution{list-style:none;padding:0;margin:.25rem 0}.careloop-distribution li{display:flex;gap:.5rem;align-items:center}" +
    "meter{width:8rem}h3{font-size:1em;margin:.2rem 0}p{margin:.2rem 0;overflow-wrap:anywhere;white-space:pre-wrap}" +
    ".careloop-meta{color:#555;font-size:.85em}.careloop-verified{color:#2b6b3a;font-weight:600}" +
    "blockquote{margin:.4rem 0 0 1rem;padding-left:.6rem;border-left:3px solid #cfd8e3;color:#333}" +
    ".careloop-pages{display:flex;gap:1rem;justify-content:center;padding:.5rem}a{color:#1f5fbf}" +
    "button{font:inherit;padding:.4rem 1rem;border:0;border-radius:6px;background:var(--accent,#1f5fbf);color:var(--on-accent,#fff);cursor:pointer}" +
    ".help{margin-left:1rem;color:#1f5fbf}" +
    "a:focus,button:focus,input:focus,textarea:focus{outline:3px solid #f0b400;outline-offset:2px}" +
    "form label{display:block;margin:.4rem 0 .1rem;font-weight:600}input,textarea{font:inherit;width:100%;box-sizing:border-box;padding:.35rem}" +
    "fieldset{border:0;padding:0;margin:0}fieldset label{display:inline-flex;align-items:center;gap:.3rem;min-width:48px;min-height:48px;" +
    "box-sizing:border-box;padding:0 .6rem;margin:.2rem .3rem .2rem 0;border:1px solid #bbb;border-radius:8px;font-size:1.15em;font-weight:400;cursor:pointer}" +
    "fieldset input{width:auto;margin:0}fieldset label:has(input:checked){border-color:#1a1a1a;background:#fff4dd}" +
    ".msg{margin:.5rem 0;padding:.4rem .6rem;border-radius:6px;background:#eef5ff}";

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    for (var k in attrs || {}) e.setAttribute(k, attrs[k]);
    if (text != null) e.textContent = text;
    return e;
  }
  function shadow(host) {
    var root = host.attachShadow ? host.attachShadow({ mode: "open" }) : host;
    root.appendChild(el("style", {}, CSS));
    return root;
  }
  function get(url, fresh) {
    return fetch(url, { credentials: "omit", cache: fresh ? "no-cache" : "default" }).then(function (r) {
      if (!r.ok) throw new Error("HTTP " + r.status);
      return r.text();
    });
  }
  // The server escapes every text in the fragment; scripts (its JSON-LD) are dropped here anyway.
  function fragment(html) {
    var t = document.createElement("template");
    t.innerHTML = html;
    t.content.querySelectorAll("script").forEach(function (s) { s.remove(); });
    return t.content;
  }
  function whenVisible(node, go) {
    if (!("IntersectionObserver" in window)) return go();
    var o = new IntersectionObserver(function (entries) {
      if (entries.some(function (e) { return e.isIntersecting; })) { o.disconnect(); go(); }
    }, { rootMargin: "300px" });
    o.observe(node);
  }

  function reviews(host, product) {
    var first = "/embed/" + encodeURIComponent(store) + "/" + encodeURIComponent(product) + "?per_page=5&lang=" + lang;
    // Height reserved before anything loads (the page below does not move while it fills in); the
    // widget grows with its reviews past it rather than scrolling inside the shop's page.
    host.style.display = "block";
    if (!host.style.minHeight) host.style.minHeight = "34rem";
    var root = shadow(host);
    var box = el("div", { class: "cl", part: "box" });
    var list = el("div", { "aria-live": "polite" });
    // The form's button first: the list filling in below it moves nothing already shown.
    // A review just sent shows at once: the first page is fetched again past the browser's cache.
    var writing = form(product, function () { load(first, true); });
    // Writing a review opens the box to its whole length (the form never hides under the fold).
    writing.querySelector("button").addEventListener("click", function () { box.classList.add("open"); fit(); });
    box.appendChild(writing);
    box.appendChild(list);
    root.appendChild(box);
    // Up to the reserved height the page never moves: reviews past it wait behind "Show all" (a press,
    // not a shift), which opens the widget to its whole length. No scrollbar inside the shop's page.
    var more = el("div", { class: "more", hidden: "" });
    var moreButton = el("button", { type: "button" }, T.more);
    more.appendChild(moreButton);
    moreButton.addEventListener("click", function () { box.classList.add("open"); fit(); });
    function fit() {
      var ol = list.querySelector("ol");
      more.hidden = true;
      if (!ol) return;
      ol.style.maxHeight = "";
      ol.classList.remove("ol-clip");
      var reserved = parseFloat(getComputedStyle(host).minHeight) || 0;
      if (box.classList.contains("open") || !reserved || box.getBoundingClientRect().height <= reserved) return;
      more.hidden = false;
      ol.parentNode.insertBefore(more, ol.nextSibling);
      var over = box.getBoundingClientRect().height - reserved;
      ol.classList.add("ol-clip");
      ol.style.maxHeight = Math.max(96, ol.getBoundingClientRect().height - over) + "px";
    }
    function load(path, fresh) {
      var url = new URL(path, base);
      if (url.origin !== base) return Promise.resolve();
      return get(url.href, fresh).then(function (html) {
        list.replaceChildren(fragment(html));
        // The store's colour on the widget's buttons (only a plain #rrggbb is taken).
        var section = list.querySelector("section[data-accent]"), hex = /^#[0-9a-fA-F]{6}$/;
        if (section && hex.test(section.getAttribute("data-accent")) && hex.test(section.getAttribute("data-on-accent"))) {
          box.style.setProperty("--accent", section.getAttribute("data-accent"));
          box.style.setProperty("--on-accent", section.getAttribute("data-on-accent"));
        }
        fit();
      }).catch(function () { list.replaceChildren(el("p", {}, T.none)); });
    }
    list.addEventListener("click", function (e) {
      var a = e.target.closest && e.target.closest("a[rel=prev],a[rel=next]");
      if (!a) return;
      e.preventDefault();
      load(a.getAttribute("href")).then(function () {
        var nav = list.querySelector("a[rel=" + a.getAttribute("rel") + "]") || list.querySelector("a");
        if (nav) nav.focus();
        if (box.getBoundingClientRect().top < 0) box.scrollIntoView();
      });
    });
    whenVisible(host, function () {
      load(first);
    });
  }

  function form(product, sent) {
    var wrap = el("div", {});
    var open = el("button", { type: "button", "aria-expanded": "false" }, T.write);
    var f = el("form", { hidden: "" });
    var stars = el("fieldset", {});
    stars.appendChild(el("legend", {}, T.rating));
    for (var n = 5; n >= 1; n--) {
      var l = el("label", {});
      l.appendChild(el("input", { type: "radio", name: "rating", value: String(n), required: "" }));
      l.appendChild(document.createTextNode(" " + n + " ★"));
      stars.appendChild(l);
    }
    f.appendChild(stars);
    [["title", T.title, "input", 200], ["body", T.body, "textarea", 20000], ["author_name", T.name, "input", 100], ["author_email", T.email, "input", 320]]
      .forEach(function (x) {
        var id = "cl-" + x[0];
        f.appendChild(el("label", { for: id }, x[1]));
        var input = el(x[2], { id: id, name: x[0], maxlength: String(x[3]) });
        if (x[0] === "author_email") { input.type = "email"; input.required = true; }
        if (x[0] === "author_name") input.required = true;
        f.appendChild(input);
      });
    var msg = el("p", { class: "msg", role: "status", hidden: "" });
    f.appendChild(el("button", { type: "submit" }, T.send));
    open.addEventListener("click", function () {
      f.hidden = !f.hidden;
      open.setAttribute("aria-expanded", String(!f.hidden));
      if (!f.hidden) f.querySelector("input").focus();
    });
    f.addEventListener("submit", function (e) {
      e.preventDefault();
      var d = new FormData(f), body = { rating: Number(d.get("rating")) };
      ["title", "body", "author_name", "author_email"].forEach(function (k) { if (d.get(k)) body[k] = d.get(k); });
      fetch(base + "/api/v1/public/stores/" + encodeURIComponent(store) + "/products/" + encodeURIComponent(product) + "/reviews", {
        method: "POST", credentials: "omit", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body)
      }).then(function (r) {
        return r.json().catch(function () { return {}; }).then(function (j) {
          msg.hidden = false;
          if (r.ok) { msg.textContent = T.thanks; f.reset(); f.hidden = true; open.setAttribute("aria-expanded", "false"); if (sent) sent(); }
          else msg.textContent = T.failed + ((j.error && j.error.message) || ("HTTP " + r.status));
        });
      }).catch(function (err) { msg.hidden = false; msg.textContent = T.failed + err.message; });
    });
    wrap.appendChild(open);
    // Beside the review form, never instead of it: a person at the shop, on a hosted page.
    wrap.appendChild(el("a", { class: "help", href: base + "/s/" + encodeURIComponent(store) + "/help", target: "_blank", rel: "noopener" }, T.help));
    wrap.appendChild(msg);
    wrap.appendChild(f);
    return wrap;
  }

  function summaries(cards) {
    if (!cards.length) return;
    var ids = [];
    cards.forEach(function (c) {
      c.style.display = c.style.display || "block";
      if (!c.style.minHeight) c.style.minHeight = "1.5em";
      var id = c.getAttribute("data-careloop-product");
      if (ids.indexOf(id) < 0 && ids.length < 50) ids.push(id);
    });
    get(base + "/api/v1/public/stores/" + encodeURIComponent(store) + "/summaries?products=" + ids.map(encodeURIComponent).join(","))
      .then(function (text) {
        var all = JSON.parse(text).products || {};
        cards.forEach(function (c) {
          var s = all[c.getAttribute("data-careloop-product")];
          var root = shadow(c);
          if (!s || !s.count) { root.appendChild(el("span", {}, T.none)); return; }
          var full = Math.round(s.average);
          root.appendChild(el("span", { class: "s", role: "img", "aria-label": s.average.toFixed(1) + T.stars },
            "★★★★★".slice(0, full) + "☆☆☆☆☆".slice(0, 5 - full)));
          root.appendChild(el("span", {}, " " + s.average.toFixed(1) + " · " + s.count + T.reviews));
        });
      }).catch(function () {});
  }

  var product = me.getAttribute("data-product");
  if (product) {
    var host = el("div", { class: "careloop-widget" });
    me.parentNode.insertBefore(host, me.nextSibling);
    reviews(host, product);
  }
  function all(sel) { return Array.prototype.slice.call(document.querySelectorAll(sel)); }
  function start() {
    all("[data-careloop-reviews]").slice(0, 10).forEach(function (h) {
      if (!h.shadowRoot) reviews(h, h.getAttribute("data-careloop-reviews"));
    });
    summaries(all("[data-careloop-product]"));
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
