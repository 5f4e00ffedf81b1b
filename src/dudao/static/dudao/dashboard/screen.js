// The large screen (/screen/): shows the figures of /screen/data.json in rotating panels, fetches them again every
// data-refresh seconds and, while that fails (the network dropped, the server restarts), keeps the last figures on
// the wall with a note and retries with a growing delay. Text goes in with textContent only.
(function () {
  "use strict";
  var root = document.getElementById("screen");
  if (!root) { return; }
  var url = root.dataset.url;
  var refreshMs = Number(root.dataset.refresh || 60) * 1000;
  var panelMs = Number(root.dataset.panelSeconds || 15) * 1000;
  var retryFirstMs = 5000;
  var retryMaxMs = 5 * 60 * 1000;
  var retryMs = retryFirstMs;
  var SHOWN = 12;  // villages listed per kind of mover (the count says how many there are)

  function $(id) { return document.getElementById(id); }

  function text(node, value) { if (node) { node.textContent = value === null || value === undefined ? "—" : String(value); } }

  function el(tag, value, cls) {
    var node = document.createElement(tag);
    if (value !== undefined) { text(node, value); }
    if (cls) { node.className = cls; }
    return node;
  }

  function percent(value) { return value === null || value === undefined ? "—" : (value * 100).toFixed(1) + "%"; }

  function signed(value, digits) {
    if (value === null || value === undefined) { return "—"; }
    var shown = Math.abs(value).toFixed(digits);
    if (Number(shown) === 0) { return "±" + shown; }
    return (value > 0 ? "+" : "−") + shown;
  }

  function fillBody(table, rows, cells) {
    var body = table.querySelector("tbody");
    body.replaceChildren();
    rows.forEach(function (row, index) {
      var tr = el("tr");
      tr.dataset.town = row.code || "";
      cells(row, index).forEach(function (cell) { tr.appendChild(el("td", cell[0], cell[1])); });
      body.appendChild(tr);
    });
  }

  function renderOverview(data) {
    var round = data.round;
    text($("round-status"), round ? round.status_label : "—");
    text($("round-waiting"), round && round.waiting_label ? round.waiting_label : "");
    var tiles = $("tier-tiles");
    tiles.replaceChildren();
    (data.tiers || []).forEach(function (tier) {
      var tile = el("div", undefined, "tile tier");
      tile.dataset.tier = tier.tier;
      tile.style.setProperty("--tier", tier.colour);
      tile.style.setProperty("--tier-ink", tier.ink);
      tile.appendChild(el("span", tier.label, "tile-label"));
      tile.appendChild(el("span", tier.count, "tile-value"));
      tiles.appendChild(tile);
    });
    text($("towns-on-time"), round ? round.towns_on_time : null);
    text($("towns-late"), round ? round.towns_late.length : null);
    text($("towns-missing"), round ? round.towns_missing.length : null);
    text($("problems-overdue"), data.problems.total.overdue);
    root.querySelectorAll("#mover-tiles [data-kind]").forEach(function (node) {
      text(node, data.movers ? data.movers.counts[node.dataset.kind] : null);
    });
  }

  function renderMovers(data) {
    var movers = data.movers;
    var against = $("movers-against");
    text(against, movers && movers.previous_week ? against.dataset.label + " " + movers.previous_week : "");
    root.querySelectorAll("#panel-movers .column").forEach(function (column) {
      var kind = column.dataset.kind;
      var list = column.querySelector("ol");
      list.replaceChildren();
      text(column.querySelector(".count"), movers ? movers.counts[kind] : null);
      var units = movers ? movers[kind] : [];
      units.slice(0, SHOWN).forEach(function (unit) {
        var item = el("li", unit.name);
        item.appendChild(el("span", " " + unit.town, "muted"));
        list.appendChild(item);
      });
      if (units.length > SHOWN) { list.appendChild(el("li", "… +" + (units.length - SHOWN), "more")); }
    });
  }

  function renderLeague(data) {
    (data.tiers || []).forEach(function (tier) { text($("league-" + tier.tier), tier.label); });
    fillBody($("screen-league"), data.league || [], function (row, index) {
      return [[index + 1, "num"], [row.name], [row.green, "num"], [row.yellow, "num"], [row.red, "num"],
        [row.mean === null ? "—" : row.mean.toFixed(2), "num"], [signed(row.mean_change, 2), "num"]];
    });
  }

  function renderProblems(data) {
    var p = data.problems;
    var rows = p.towns.concat([Object.assign({}, p.total, { code: "", name: "∑" })]);
    fillBody($("screen-funnel"), rows, function (row) {
      return [[row.name], [row.found, "num"], [row.dispatched, "num"], [row.rectified, "num"], [row.verified, "num"],
        [row.closed, "num"], [percent(row.same_day_rate), "num"], [row.overdue, "num" + (row.overdue ? " alert" : "")]];
    });
  }

  function renderWork(data) {
    var interviews = data.interviews;
    $("interview-tiles").hidden = !interviews;
    root.querySelectorAll("#interview-tiles [data-key]").forEach(function (node) {
      text(node, interviews ? interviews[node.dataset.key] : null);
    });
    var c = data.coverage;
    var rows = c.towns.concat([Object.assign({}, c.total, { code: "", name: "∑" })]);
    fillBody($("screen-coverage"), rows, function (row) {
      return [[row.name], [row.villages, "num"], [row.inspected, "num"], [row.flown, "num"]];
    });
  }

  // The tier map: drawn (window.dudaoMap.draw, maps/map.js) when its panel shows, since a hidden map has no size to
  // fit; drawn again on the next showing after new figures came in. The new map is drawn out of sight over the last
  // one and replaces it only once drawn: if its data cannot be fetched (the network dropped) the last map stays.
  var mapHolder = $("screen-map");
  var mapTemplate = $("screen-map-template");
  var mapWeek = null;       // the week of the figures shown
  var mapWanted = null;     // the figures (a count of them) the map should show
  var mapDrawn = null;      // the figures the map shown was drawn for
  var mapDrawing = false;

  function mapUrl() {
    var base = mapHolder.dataset.url;
    var query = "layer=tier" + (mapWeek ? "&week=" + encodeURIComponent(mapWeek) : "");
    return base + "?" + query + "&n=" + String(mapWanted || 0);
  }

  function drawMap() {
    if (!mapHolder || !mapTemplate || mapDrawing || mapWanted === mapDrawn) { return; }
    if (!window.dudaoMap) { window.setTimeout(drawMap, 200); return; }  // map.js (a module) not loaded yet
    var figure = mapTemplate.content.querySelector(".dudao-map").cloneNode(true);
    var stamp = mapWanted;
    var last = mapHolder.querySelector(".dudao-map:not(.pending)");
    figure.dataset.url = mapUrl();
    figure.dataset.theme = "dark";
    if (last) { figure.classList.add("pending"); }
    mapHolder.appendChild(figure);
    mapDrawing = true;
    figure.addEventListener("dudao:map-drawn", function () {
      if (last) { last.remove(); }
      figure.classList.remove("pending");
      mapDrawn = stamp;
      mapDrawing = false;
      mapHolder.dataset.week = mapWeek || "";
    });
    window.dudaoMap.draw(figure).catch(function () {
      figure.dataset.state = "failed";  // drawing threw: as if its data had not come
    }).then(function () {
      if (figure.dataset.state === "failed") {
        // Keep the last map if there is one (else the failed one says so) and try again on the next showing.
        if (last) { figure.remove(); }
        mapDrawing = false;
      } else if (figure.dataset.state === "empty") {
        if (last) { last.remove(); }
        figure.classList.remove("pending");
        mapDrawn = stamp;
        mapDrawing = false;
      }
    });
  }

  function render(data) {
    $("screen-empty").hidden = Boolean(data);
    if (!data) { return; }
    mapWeek = data.week;
    mapWanted = (mapWanted || 0) + 1;  // every new set of figures: the map is drawn again on its next showing
    text($("screen-week"), data.week);
    renderOverview(data);
    renderMovers(data);
    renderLeague(data);
    renderProblems(data);
    renderWork(data);
    var updated = $("screen-updated");
    text(updated, updated.dataset.label + " " + data.updated.slice(11, 16));
    root.dataset.updated = data.updated;
  }

  function offline(isOffline) {
    $("screen-offline").hidden = !isOffline;
    root.classList.toggle("is-offline", isOffline);
  }

  function load() {
    fetch(url, { credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.json();
      })
      .then(function (body) {
        render(body.data);
        offline(false);
        retryMs = retryFirstMs;
        window.setTimeout(load, refreshMs);
      })
      .catch(function () {
        // Keep the last figures; try again sooner than a refresh, then less and less often.
        offline(true);
        window.setTimeout(load, retryMs);
        retryMs = Math.min(retryMs * 2, retryMaxMs);
      });
  }

  function rotate() {
    var panels = Array.prototype.slice.call(root.querySelectorAll(".panel"));
    var dots = $("panel-dots");
    panels.forEach(function () { dots.appendChild(el("li")); });
    var current = 0;
    function show(index) {
      panels.forEach(function (panel, n) { panel.classList.toggle("active", n === index); });
      Array.prototype.forEach.call(dots.children, function (dot, n) { dot.classList.toggle("active", n === index); });
      root.dataset.current = panels[index].dataset.panel;
      if (panels[index].dataset.panel === "map") { drawMap(); }
    }
    show(current);
    window.setInterval(function () { current = (current + 1) % panels.length; show(current); }, panelMs);
  }

  var initial = document.getElementById("screen-data");
  render(initial ? JSON.parse(initial.textContent) : null);
  rotate();
  window.setTimeout(load, refreshMs);
}());
