// CareLoop dashboard: keyboard shortcuts, the saved-reply picker, changes in place and the
// collision notice. Every page works without this script: it only makes the same forms faster.
(function () {
  "use strict";
  function $(id) { return document.getElementById(id); }
  function typing(t) {
    return t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT" || t.isContentEditable);
  }
  function go(link) { if (link) { window.location.href = link.getAttribute("href"); } }
  // Single keys act only with the focus on the page itself (or a row of the inbox): never inside a
  // box, and never on the messages (clicking into them to read or select puts the focus there).
  function onPage(t) {
    return !t || t === document.body || t === document.documentElement || (t.matches && t.matches("a.row"));
  }
  var reply = $("reply-body");

  // Times in the viewer's own zone on hover (the page shows the store's).
  Array.prototype.forEach.call(document.querySelectorAll("time[datetime]"), function (t) {
    var d = new Date(t.getAttribute("datetime"));
    if (!isNaN(d.getTime())) { t.title = d.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" }) + " (your time)"; }
  });

  // The saved-reply picker: "/" in an empty reply box lists the saved replies, typing filters them,
  // arrows move, Enter puts the chosen one (already filled in for this customer) in the box.
  var picker = $("saved-picker"), filter = $("saved-filter"), options = $("saved-options"), texts = $("saved-texts");
  var choices = texts ? Array.prototype.map.call(texts.querySelectorAll("li"), function (li, i) {
    return { title: li.getAttribute("data-title"), text: li.textContent, id: "saved-option-" + i };
  }) : [];
  var shown = [], at = 0;
  function drawPicker() {
    var q = filter.value.toLowerCase();
    shown = choices.filter(function (c) { return c.title.toLowerCase().indexOf(q) >= 0; });
    if (at >= shown.length) { at = Math.max(0, shown.length - 1); }
    options.textContent = "";
    shown.forEach(function (c, i) {
      var li = document.createElement("li");
      li.id = c.id;
      li.setAttribute("role", "option");
      li.setAttribute("aria-selected", i === at ? "true" : "false");
      li.textContent = c.title;
      li.addEventListener("mousedown", function (e) { e.preventDefault(); at = i; choose(); });
      options.appendChild(li);
    });
    filter.setAttribute("aria-activedescendant", shown.length ? shown[at].id : "");
  }
  function openPicker() {
    picker.hidden = false;
    filter.value = "";
    at = 0;
    drawPicker();
    filter.focus();
  }
  function closePicker() { picker.hidden = true; reply.focus(); }
  function choose() {
    if (shown.length) { reply.value = shown[at].text; }
    closePicker();
    reply.setSelectionRange(reply.value.length, reply.value.length);
  }
  if (picker && choices.length) {
    filter.addEventListener("input", function () { at = 0; drawPicker(); });
    filter.addEventListener("keydown", function (e) {
      if (e.key === "ArrowDown") { at = Math.min(shown.length - 1, at + 1); drawPicker(); e.preventDefault(); }
      else if (e.key === "ArrowUp") { at = Math.max(0, at - 1); drawPicker(); e.preventDefault(); }
      else if (e.key === "Enter") { choose(); e.preventDefault(); }
      else if (e.key === "Escape") { closePicker(); e.preventDefault(); }
    });
  }

  if (reply) {
    reply.addEventListener("keydown", function (e) {
      if (e.key === "/" && reply.value === "" && picker && choices.length) { openPicker(); e.preventDefault(); }
      else if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
        // Ctrl+Enter: send and open the next conversation; with Shift: send and resolve.
        var button = e.shiftKey && $("send-resolve") ? $("send-resolve") : $("send-next");
        button.click();
        e.preventDefault();
      }
      else if (e.key === "Escape") { reply.blur(); e.preventDefault(); }
    });
  }

  // "Use" a saved reply with a draft in the box: the saved text joins the draft where the cursor is,
  // rather than the page loading it in the draft's place (without the script, the page does that).
  var savedForm = $("saved-reply-form");
  if (savedForm && reply && texts) {
    savedForm.addEventListener("submit", function (e) {
      var chosen = texts.querySelector("li[data-id='" + $("saved").value + "']");
      if (!chosen || !reply.value.trim()) { return; }
      e.preventDefault();
      var at = reply.selectionStart != null ? reply.selectionEnd : reply.value.length;
      var before = reply.value.slice(0, at), after = reply.value.slice(at);
      var glue = before && !/\n$/.test(before) ? "\n\n" : "";
      reply.value = before + glue + chosen.textContent + after;
      reply.focus();
      var end = (before + glue + chosen.textContent).length;
      reply.setSelectionRange(end, end);
    });
  }

  // Opened with the mouse: the reply box takes the focus (the keyboard path keeps the page's keys).
  if (reply && /[?&]focus=reply(&|$)/.test(window.location.search)) { reply.focus(); }
  Array.prototype.forEach.call(document.querySelectorAll("a.row"), function (row) {
    row.addEventListener("click", function (e) {
      if (e.detail === 0 || e.button !== 0 || e.ctrlKey || e.metaKey || e.shiftKey || e.altKey) { return; }
      e.preventDefault();
      var href = row.getAttribute("href");
      window.location.href = href + (href.indexOf("?") >= 0 ? "&" : "?") + "focus=reply";
    });
  });

  // "Add as internal note" in place: the note joins the thread, the box empties and keeps the focus.
  var addNote = $("add-note");
  if (addNote && reply && window.fetch) {
    addNote.addEventListener("click", function (e) {
      if (!reply.value.trim()) { return; }
      e.preventDefault();
      var form = $("reply-form"), data = new URLSearchParams(new FormData(form));
      data.set("then", "note");
      data.set("internal", "1");
      var text = reply.value;
      fetch(form.action, { method: "POST", body: data, credentials: "same-origin", redirect: "manual" }).then(function (r) {
        if (!(r.type === "opaqueredirect" || r.ok)) { form.requestSubmit(addNote); return; }
        var note = document.createElement("article"), who = document.createElement("div"), body = document.createElement("div");
        note.className = "msg note";
        who.className = "who";
        who.textContent = "Note · you · just now";
        body.className = "body";
        body.textContent = text;
        note.appendChild(who);
        note.appendChild(body);
        $("thread").appendChild(note);
        reply.value = "";
        reply.focus();
        var st = $("in-place-status");
        if (st) { st.textContent = "Note added."; }
      }, function () { form.requestSubmit(addNote); });
    });
  }

  // Assign, priority and tags change in place: the half-written reply stays where it is.
  var status = $("in-place-status");
  function submitInPlace(form, done) {
    var body = new URLSearchParams(new FormData(form));
    fetch(form.action, { method: "POST", body: body, credentials: "same-origin", redirect: "manual" }).then(function (r) {
      if (r.type === "opaqueredirect" || r.ok) { done(); } else { form.submit(); }
    }, function () { form.submit(); });
  }
  Array.prototype.forEach.call(document.querySelectorAll("form.in-place"), function (form) {
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      submitInPlace(form, function () {
        if (form.id === "priority-form") { $("priority-shown").textContent = $("priority").value; }
        if (form.id === "tags-form") { $("tags-shown").textContent = $("tags").value || "none"; }
        if (status) { status.textContent = "Saved."; }
        // Saved: the keys go back to the page, not into the box.
        if (document.activeElement && form.contains(document.activeElement)) { document.activeElement.blur(); }
      });
    });
  });
  function assignToMe() {
    var form = $("assign-form");
    if (!form) { return; }
    var data = new URLSearchParams(new FormData(form));
    data.set("assignee", "me");
    fetch(form.action, { method: "POST", body: data, credentials: "same-origin", redirect: "manual" }).then(function (r) {
      if (!(r.type === "opaqueredirect" || r.ok)) { if (status) { status.textContent = "Not assigned: reload and try again."; } return; }
      var select = $("assignee");
      if (select && select.getAttribute("data-me")) { select.value = select.getAttribute("data-me"); }
      if (status) { status.textContent = "Assigned to you."; }
    });
  }

  // Somebody else on the same conversation: who has it open, and what was written since loading.
  var layout = document.querySelector(".layout.conversation"), notice = $("collision");
  if (layout && notice && window.fetch) {
    var id = layout.getAttribute("data-conversation"), seen = layout.getAttribute("data-seen");
    var poll = function () {
      fetch("/app/conversations/" + id + "/activity?since=" + encodeURIComponent(seen), { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (a) {
          if (!a) { return; }
          var parts = [];
          if (a.viewers.length) { parts.push(a.viewers.join(", ") + " also has this conversation open."); }
          if (a.new_messages > 0) { parts.push((a.last_by || "Somebody") + " wrote since you opened it: reload to read it before you send."); }
          notice.textContent = parts.join(" ");
          notice.hidden = parts.length === 0;
        }, function () {});
    };
    window.setInterval(poll, 10000);
  }

  // "Copy" beside a snippet: the text to the clipboard (the box is selectable without the script too).
  Array.prototype.forEach.call(document.querySelectorAll("button[data-copy]"), function (button) {
    button.addEventListener("click", function () {
      var box = $(button.getAttribute("data-copy"));
      if (!box) { return; }
      box.select();
      var done = function () { button.textContent = "Copied"; };
      if (navigator.clipboard && navigator.clipboard.writeText) { navigator.clipboard.writeText(box.value).then(done, function () { document.execCommand("copy"); done(); }); }
      else { document.execCommand("copy"); done(); }
    });
  });

  // The undo bar: counts down to the moment the mail is queued, then goes.
  var undoBar = $("undo-bar"), undoLeft = $("undo-left");
  if (undoBar && undoLeft) {
    var until = parseInt(undoLeft.getAttribute("data-until"), 10);
    var tick = function () {
      var left = Math.ceil((until - Date.now()) / 1000);
      if (left <= 0) { undoBar.hidden = true; return; }
      undoLeft.textContent = "The customer is emailed in " + left + " s · z undoes";
      window.setTimeout(tick, 250);
    };
    tick();
  }

  // Esc always leaves a box (the saved-reply picker closes itself first).
  document.addEventListener("keydown", function (e) {
    if (e.key === "Escape" && typing(e.target) && e.target.id !== "saved-filter") { e.target.blur(); }
  }, true);

  document.addEventListener("keydown", function (e) {
    if (!onPage(e.target) || e.ctrlKey || e.metaKey || e.altKey) { return; }
    var rows = Array.prototype.slice.call(document.querySelectorAll("a.row"));
    var i = rows.indexOf(document.activeElement);
    var help = $("key-help");
    if (e.key === "?" && help && help.showModal) {
      help.showModal();
      e.preventDefault();
    } else if (e.key === "z" && undoBar && !undoBar.hidden && $("undo")) {
      $("undo").click();
      e.preventDefault();
    } else if (rows.length && (e.key === "j" || e.key === "k")) {
      var next = e.key === "j" ? Math.min(rows.length - 1, i + 1) : Math.max(0, i < 0 ? 0 : i - 1);
      rows[next].focus();
      e.preventDefault();
    } else if (e.key === "/" && $("inbox-q")) {
      $("inbox-q").focus();
      e.preventDefault();
    } else if (!reply) {
      return;
    } else if (e.key === "r") {
      reply.focus();
      e.preventDefault();
    } else if (e.key === "j") {
      go($("next-conversation"));
    } else if (e.key === "k") {
      go($("previous-conversation"));
    } else if (e.key === "u") {
      go($("back-to-inbox"));
    } else if (e.key === "e" && $("resolve-form")) {
      $("resolve-form").requestSubmit();
      e.preventDefault();
    } else if (e.key === "a") {
      assignToMe();
      e.preventDefault();
    } else if (e.key === "#") {
      $("tags").focus();
      e.preventDefault();
    }
  });
})();

// The trigger editor: only the rows in use, "+ Add condition / action" for more, and each action
// row showing just the boxes its type uses, labelled for it.
(function () {
  "use strict";
  var form = document.getElementById("trigger-form");
  if (!form) { return; }
  Array.prototype.forEach.call(form.querySelectorAll(".add-row"), function (button) {
    var kind = button.getAttribute("data-rows");
    var spares = function () { return form.querySelectorAll("." + kind + ".spare:not(.shown)"); };
    Array.prototype.forEach.call(spares(), function (row) { row.hidden = true; });
    button.hidden = spares().length === 0;
    button.addEventListener("click", function () {
      var next = spares()[0];
      if (!next) { return; }
      next.hidden = false;
      next.classList.add("shown");
      var first = next.querySelector("select");
      if (first) { first.focus(); }
      button.hidden = spares().length === 0;
    });
  });
  function relabel(select) {
    var row = select.closest(".action"), o = select.options[select.selectedIndex];
    if (!row || !o || !o.value) { return; }
    var show = function (cls, on, label) {
      var box = row.querySelector("." + cls);
      if (!box) { return; }
      box.hidden = !on;
      if (on && label) { box.querySelector("label").textContent = label; }
    };
    show("field-text", !!o.getAttribute("data-text"), o.getAttribute("data-text"));
    show("field-setting", !!o.getAttribute("data-setting"), o.getAttribute("data-setting"));
    show("field-agent", o.getAttribute("data-agent") === "true");
    show("field-priority", o.getAttribute("data-priority") === "true");
  }
  Array.prototype.forEach.call(form.querySelectorAll("select.action-type"), function (select) {
    relabel(select);
    select.addEventListener("change", function () { relabel(select); });
  });
})();
