// The customer's page: times in the reader's own time zone, and photos checked before they are
// sent (type, size, how many). The page works without this script; the server checks all of it again.
(function () {
  "use strict";
  document.querySelectorAll("time[datetime]").forEach(function (t) {
    var d = new Date(t.getAttribute("datetime"));
    if (isNaN(d.getTime())) return;
    t.textContent = d.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
  });
  var input = document.getElementById("photos");
  var note = document.getElementById("photos-note");
  if (!input || !note) return;
  var max = parseInt(input.getAttribute("data-max-count"), 10);
  var maxBytes = parseInt(input.getAttribute("data-max-mb"), 10) * 1048576;
  input.addEventListener("change", function () {
    var files = Array.prototype.slice.call(input.files || []);
    var problem = "";
    if (files.length > max) problem = "Choose at most " + max + " photos.";
    files.forEach(function (f) {
      if (!/^image\/(jpeg|png)$/.test(f.type)) problem = f.name + " is not a JPEG or PNG photo.";
      else if (f.size > maxBytes) problem = f.name + " is larger than " + (maxBytes / 1048576) + " MB.";
    });
    input.setCustomValidity(problem);
    note.textContent = problem || (files.length ? files.length + " photo" + (files.length === 1 ? "" : "s") + " will be sent with your reply." : "");
  });
})();
