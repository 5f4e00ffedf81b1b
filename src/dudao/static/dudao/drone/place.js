/* Placing a drone photo by hand: type to narrow the village list (name, pinyin or its initials), or press
   "Pick on the map" and click the map: the village point nearest to the click is chosen and named, and "Place"
   confirms it. The map is an SVG of the village points (no tiles: the intranet has no internet). */
(function () {
  "use strict";

  var strings = JSON.parse(document.getElementById("drone-place-strings").textContent);
  var forms = Array.prototype.slice.call(document.querySelectorAll("form.place-form"));
  var map = document.querySelector("svg.village-map.pickable");
  var mapNote = document.getElementById("map-picked");
  var active = forms.length === 1 ? forms[0] : null;

  function fill(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (_m, name) { return String(values[name]); });
  }

  function activate(form) {
    active = form;
    forms.forEach(function (other) {
      other.classList.toggle("active", other === form);
      var article = other.closest("article");
      if (article) {
        article.classList.toggle("active", other === form);
      }
    });
    if (map) {
      map.scrollIntoView({ block: "nearest", behavior: "smooth" });
    }
  }

  forms.forEach(function (form) {
    var filter = form.querySelector(".village-filter");
    var select = form.querySelector("select[name=village]");
    filter.addEventListener("input", function () {
      var wanted = filter.value.trim().toLowerCase();
      var first = null;
      Array.prototype.forEach.call(select.options, function (option) {
        if (!option.value) {
          return;
        }
        var match = !wanted || (option.dataset.search || "").toLowerCase().indexOf(wanted) >= 0;
        option.hidden = !match;
        option.disabled = !match;
        if (match && !first) {
          first = option;
        }
      });
      Array.prototype.forEach.call(select.querySelectorAll("optgroup"), function (group) {
        group.hidden = !group.querySelector("option:not([hidden])");
      });
      if (wanted && first && (select.selectedIndex < 0 || select.options[select.selectedIndex].hidden)) {
        select.value = first.value;
      }
    });
    var pick = form.querySelector("button.pick");
    if (pick) {
      pick.addEventListener("click", function () { activate(form); });
    }
    select.addEventListener("focus", function () { active = form; });
  });

  if (!map) {
    return;
  }
  var points = Array.prototype.slice.call(map.querySelectorAll("circle.pt[data-code]"));
  var marker = map.querySelector("circle.picked");

  map.addEventListener("click", function (event) {
    if (!active) {
      mapNote.textContent = strings.pickFirst;
      return;
    }
    var matrix = map.getScreenCTM();
    if (!matrix || !points.length) {
      return;
    }
    var spot = map.createSVGPoint();
    spot.x = event.clientX;
    spot.y = event.clientY;
    spot = spot.matrixTransform(matrix.inverse());
    var nearest = null;
    var best = Infinity;
    points.forEach(function (point) {
      var dx = point.cx.baseVal.value - spot.x;
      var dy = point.cy.baseVal.value - spot.y;
      if (dx * dx + dy * dy < best) {
        best = dx * dx + dy * dy;
        nearest = point;
      }
    });
    var select = active.querySelector("select[name=village]");
    var filter = active.querySelector(".village-filter");
    filter.value = "";
    filter.dispatchEvent(new Event("input"));
    select.value = nearest.dataset.code;
    marker.setAttribute("cx", nearest.getAttribute("cx"));
    marker.setAttribute("cy", nearest.getAttribute("cy"));
    var text = fill(strings.nearest, { name: nearest.dataset.name, town: nearest.dataset.town });
    mapNote.textContent = text;
    mapNote.dataset.code = nearest.dataset.code;
    active.querySelector(".picked-name").textContent = text;
    active.querySelector("button.place").focus({ preventScroll: true });
  });
}());
