// The problem list's filter (templates/problems/list.html): picking another township empties the village picked,
// which belongs to the township before.
(function () {
  "use strict";
  document.querySelectorAll("select[data-clears]").forEach(function (select) {
    select.addEventListener("change", function () {
      var other = select.form && select.form.elements.namedItem(select.dataset.clears);
      if (other) { other.value = ""; }
    });
  });
}());
