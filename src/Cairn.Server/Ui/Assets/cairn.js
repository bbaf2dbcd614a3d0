// Cairn's only script: the light/dark theme (saved per browser; the OS preference until chosen) and confirmation of
// forms marked data-confirm. Pages work without it.
(function () {
  var saved = null;
  try { saved = localStorage.getItem("cairn-theme"); } catch (e) { /* storage blocked: follow the OS */ }
  if (saved === "dark" || saved === "light") { document.documentElement.dataset.theme = saved; }
  document.addEventListener("click", function (event) {
    var toggle = event.target.closest("[data-theme-toggle]");
    if (!toggle) { return; }
    var dark = document.documentElement.dataset.theme
      ? document.documentElement.dataset.theme === "dark"
      : window.matchMedia("(prefers-color-scheme: dark)").matches;
    var next = dark ? "light" : "dark";
    document.documentElement.dataset.theme = next;
    try { localStorage.setItem("cairn-theme", next); } catch (e) { /* not kept */ }
  });
  document.addEventListener("submit", function (event) {
    var message = event.target.getAttribute("data-confirm");
    if (message && !window.confirm(message)) { event.preventDefault(); }
  });
})();

// Lineage explorer: the graph is often wider than the page, so its canvas scrolls to bring the centred node into view.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll(".lineage-canvas").forEach(function (canvas) {
    var node = canvas.querySelector(".node.current");
    if (!node) { return; }
    var box = node.getBoundingClientRect(), view = canvas.getBoundingClientRect();
    canvas.scrollLeft += box.left - view.left - (view.width - box.width) / 2;
    canvas.scrollTop += box.top - view.top - (view.height - box.height) / 2;
  });
});
