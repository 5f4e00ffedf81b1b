// The checklist form (templates/inspections/checklist_form.html): "Add a row" copies the last row of the items
// table, empty, with the next number in its fields' names. Without JavaScript the button stays hidden and rows
// come in by pasting from Excel.
(function () {
  "use strict";
  var button = document.getElementById("add-row"), count = document.getElementById("row-count");
  var body = document.querySelector("#items tbody");
  if (!button || !count || !body) { return; }
  button.hidden = false;
  button.addEventListener("click", function () {
    var last = body.rows[body.rows.length - 1], n = parseInt(count.value, 10);
    var row = last.cloneNode(true);
    row.cells[0].textContent = String(body.rows.length + 1);
    row.querySelectorAll("input, select").forEach(function (field) {
      field.name = field.name.replace(/^item-\d+-/, "item-" + n + "-");
      if (field.type === "checkbox") { field.checked = false; }
      else if (field.name.slice(-7) === "-weight") { field.value = "1"; }
      else if (field.tagName === "SELECT") { field.selectedIndex = 0; }
      else { field.value = ""; }
    });
    body.appendChild(row);
    count.value = String(n + 1);
    row.querySelector("input").focus();
  });
}());
