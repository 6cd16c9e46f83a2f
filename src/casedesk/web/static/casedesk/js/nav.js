// Console navigation groups are <details> disclosures and work without this script.
// It only makes them behave like menus: one open at a time, closed by Escape (focus
// returns to the group's summary) and by a click or focus outside the group.
(function () {
  "use strict";
  var groups = Array.prototype.slice.call(document.querySelectorAll("details[data-nav-group]"));
  function closeAll(except) {
    groups.forEach(function (group) {
      if (group !== except) group.open = false;
    });
  }
  groups.forEach(function (group) {
    group.addEventListener("toggle", function () {
      if (group.open) closeAll(group);
    });
    group.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && group.open) {
        group.open = false;
        group.querySelector("summary").focus();
      }
    });
  });
  document.addEventListener("click", function (event) {
    if (!event.target.closest("details[data-nav-group]")) closeAll(null);
  });
  document.addEventListener("focusin", function (event) {
    if (!event.target.closest("details[data-nav-group]")) closeAll(null);
  });
})();
