// CareLoop dashboard: keyboard shortcuts only. Everything works without this script.
// Inbox: j / k move to the next / previous conversation, Enter opens it.
// Conversation: r jumps to the reply box, u goes back to the inbox.
(function () {
  function typing(e) {
    var t = e.target;
    return t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT" || t.isContentEditable);
  }
  document.addEventListener("keydown", function (e) {
    if (typing(e) || e.ctrlKey || e.metaKey || e.altKey) return;
    var rows = Array.prototype.slice.call(document.querySelectorAll("a.row"));
    var at = rows.indexOf(document.activeElement);
    if ((e.key === "j" || e.key === "k") && rows.length) {
      var next = e.key === "j" ? Math.min(rows.length - 1, at + 1) : Math.max(0, at < 0 ? 0 : at - 1);
      rows[next].focus();
      e.preventDefault();
    } else if (e.key === "r") {
      var reply = document.getElementById("reply-body");
      if (reply) { reply.focus(); e.preventDefault(); }
    } else if (e.key === "u" && document.getElementById("reply-body")) {
      window.location.href = "/app/inbox";
    }
  });
})();
