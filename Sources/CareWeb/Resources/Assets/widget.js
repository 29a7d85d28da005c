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
      stars: " out of 5", reviews: " reviews", none: "No reviews yet", help: "Need help with your order? Talk to us" },
    de: { write: "Bewertung schreiben", rating: "Ihre Bewertung", title: "Titel", body: "Ihre Bewertung", name: "Ihr Name",
      email: "Ihre E-Mail (nicht sichtbar)", send: "Bewertung senden", thanks: "Danke! Bitte bestätigen Sie Ihre Bewertung mit dem Link aus unserer E-Mail.",
      failed: "Das hat nicht geklappt: ", stars: " von 5", reviews: " Bewertungen", none: "Noch keine Bewertungen",
      help: "Hilfe bei Ihrer Bestellung? Schreiben Sie uns" }
  }[lang];
  var CSS = ":host{all:initial;display:block;font:15px/1.5 system-ui,sans-serif;color:#1a1a1a}" +
    ".cl{height:100%;overflow:auto;box-sizing:border-box;padding:.75rem;border:1px solid #ddd;border-radius:8px;background:#fff}" +
    "ol{list-style:none;margin:0;padding:0}li.careloop-review{border-top:1px solid #eee;padding:.6rem 0}" +
    ".careloop-stars,.s{color:#e69b00;margin:0;letter-spacing:1px}.careloop-score{font-size:1.6em;font-weight:700}" +
    ".careloop-distribution{list-style:none;padding:0;margin:.25rem 0}.careloop-distribution li{display:flex;gap:.5rem;align-items:center}" +
    "meter{width:8rem}h3{font-size:1em;margin:.2rem 0}p{margin:.2rem 0;overflow-wrap:anywhere;white-space:pre-wrap}" +
    ".careloop-meta{color:#555;font-size:.85em}.careloop-verified{color:#2b6b3a;font-weight:600}" +
    "blockquote{margin:.4rem 0 0 1rem;padding-left:.6rem;border-left:3px solid #cfd8e3;color:#333}" +
    ".careloop-pages{display:flex;gap:1rem;justify-content:center;padding:.5rem}a{color:#1f5fbf}" +
    "button{font:inherit;padding:.4rem 1rem;border:0;border-radius:6px;background:#1f5fbf;color:#fff;cursor:pointer}" +
    ".help{margin-left:1rem;color:#1f5fbf}" +
    "a:focus,button:focus,input:focus,textarea:focus{outline:3px solid #f0b400;outline-offset:2px}" +
    "form label{display:block;margin:.4rem 0 .1rem;font-weight:600}input,textarea{font:inherit;width:100%;box-sizing:border-box;padding:.35rem}" +
    "fieldset{border:0;padding:0;margin:0}fieldset label{display:inline-block;font-weight:400;margin-right:.6rem}fieldset input{width:auto}" +
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
  function get(url) {
    return fetch(url, { credentials: "omit" }).then(function (r) {
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
    // Height reserved before anything loads: the page below never moves.
    host.style.display = "block";
    if (!host.style.height) host.style.height = "34rem";
    var root = shadow(host);
    var box = el("div", { class: "cl", part: "box" });
    var list = el("div", { "aria-live": "polite" });
    // The form's button first: the list filling in below it moves nothing already shown.
    box.appendChild(form(product));
    box.appendChild(list);
    root.appendChild(box);
    function load(path) {
      var url = new URL(path, base);
      if (url.origin !== base) return Promise.resolve();
      return get(url.href).then(function (html) {
        list.replaceChildren(fragment(html));
      }).catch(function () { list.replaceChildren(el("p", {}, T.none)); });
    }
    list.addEventListener("click", function (e) {
      var a = e.target.closest && e.target.closest("a[rel=prev],a[rel=next]");
      if (!a) return;
      e.preventDefault();
      load(a.getAttribute("href")).then(function () {
        var nav = list.querySelector("a[rel=" + a.getAttribute("rel") + "]") || list.querySelector("a");
        if (nav) nav.focus();
        box.scrollTop = 0;
      });
    });
    whenVisible(host, function () {
      load("/embed/" + encodeURIComponent(store) + "/" + encodeURIComponent(product) + "?per_page=5&lang=" + lang);
    });
  }

  function form(product) {
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
          if (r.ok) { msg.textContent = T.thanks; f.reset(); f.hidden = true; open.setAttribute("aria-expanded", "false"); }
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
