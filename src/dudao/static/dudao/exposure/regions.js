// The region editor of an exposure item's photo: drag on the photo to add a rectangle. The rectangles live in the
// form's numeric rows (x, y, width, height in percent: what the page sends without JavaScript) and, normalised to
// 0..1, in the hidden field "regions", which the server reads first. No inline script: loaded by the page.
(function () {
  "use strict";

  function ready(fn) {
    if (document.readyState !== "loading") fn(); else document.addEventListener("DOMContentLoaded", fn);
  }

  ready(function () {
    var editor = document.getElementById("region-editor");
    var form = document.getElementById("regions-form");
    if (!editor || !form || editor.dataset.editable !== "1") return;
    var image = document.getElementById("region-source");
    var hidden = document.getElementById("regions-json");
    var count = document.getElementById("regions-rows");
    var body = document.querySelector("#region-rows tbody");
    document.querySelectorAll(".js-only").forEach(function (node) { node.classList.remove("js-only"); });

    function clamp(v) { return Math.min(1, Math.max(0, v)); }
    function round(v) { return Math.round(v * 1e6) / 1e6; }

    function readRows() {
      var regions = [];
      body.querySelectorAll("tr").forEach(function (row) {
        var cells = Array.prototype.map.call(row.querySelectorAll("input"), function (input) { return input.value.trim(); });
        if (cells.every(function (c) { return c === ""; })) return;
        regions.push(cells.map(function (c) { return round(parseFloat(c) / 100); }));
      });
      return regions;
    }

    function addRow() {
      var last = body.querySelector("tr:last-child");
      var row = last.cloneNode(true);
      var index = body.querySelectorAll("tr").length;
      row.querySelector("td").textContent = String(index + 1);
      row.querySelectorAll("input").forEach(function (input) {
        input.name = input.name.replace(/\d+$/, String(index));
        input.value = "";
      });
      body.appendChild(row);
      count.value = String(index + 1);
      return row;
    }

    function writeRows(regions) {
      while (body.querySelectorAll("tr").length < regions.length + 1) addRow();
      body.querySelectorAll("tr").forEach(function (row, i) {
        var inputs = row.querySelectorAll("input");
        var region = regions[i];
        inputs.forEach(function (input, k) {
          input.value = region ? String(Math.round(region[k] * 10000) / 100) : "";
        });
      });
    }

    function draw(regions) {
      editor.querySelectorAll(".region-box").forEach(function (box) { box.remove(); });
      regions.forEach(function (r) {
        if (r.some(function (v) { return isNaN(v); })) return;
        var box = document.createElement("div");
        box.className = "region-box";
        box.style.left = (r[0] * 100) + "%";
        box.style.top = (r[1] * 100) + "%";
        box.style.width = (r[2] * 100) + "%";
        box.style.height = (r[3] * 100) + "%";
        editor.appendChild(box);
      });
      hidden.value = JSON.stringify(regions);
    }

    function point(event) {
      var rect = image.getBoundingClientRect();
      return [clamp((event.clientX - rect.left) / rect.width), clamp((event.clientY - rect.top) / rect.height)];
    }

    var start = null;
    var live = null;
    editor.addEventListener("pointerdown", function (event) {
      event.preventDefault();
      start = point(event);
      editor.setPointerCapture(event.pointerId);
      live = document.createElement("div");
      live.className = "region-box";
      editor.appendChild(live);
    });
    editor.addEventListener("pointermove", function (event) {
      if (!start) return;
      var p = point(event);
      live.style.left = (Math.min(start[0], p[0]) * 100) + "%";
      live.style.top = (Math.min(start[1], p[1]) * 100) + "%";
      live.style.width = (Math.abs(p[0] - start[0]) * 100) + "%";
      live.style.height = (Math.abs(p[1] - start[1]) * 100) + "%";
    });
    editor.addEventListener("pointerup", function (event) {
      if (!start) return;
      var p = point(event);
      var region = [Math.min(start[0], p[0]), Math.min(start[1], p[1]), Math.abs(p[0] - start[0]),
        Math.abs(p[1] - start[1])].map(round);
      start = null;
      live.remove();
      live = null;
      if (region[2] < 0.005 || region[3] < 0.005) return;  // a click, not a drag
      var regions = readRows();
      regions.push(region);
      writeRows(regions);
      draw(regions);
    });
    body.addEventListener("input", function () { draw(readRows()); });
    document.getElementById("regions-clear").addEventListener("click", function () {
      writeRows([]);
      draw([]);
    });
    draw(readRows());
  });
})();
