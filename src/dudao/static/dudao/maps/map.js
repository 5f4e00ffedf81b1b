// The map component (templates/maps/_map.html): village and community areas filled by the layer's state,
// township borders, names placed where they do not collide, a legend, hover details and a click through.
// Leaflet with its canvas renderer: no WebGL, one canvas for thousands of shapes. Every .dudao-map on the page
// is drawn; window.dudaoMap.draw(element) draws one added later (and htmx swaps are watched).
// When drawn, the figure gets data-drawn-ms (from the start of drawing to the first painted frame, the data's
// fetch included) and data-features (villages drawn): bench/map_draw.py reads them.

const GREY = "#b8bec6";
const LABEL_LIMIT = 2500; // names considered per view: beyond it only the largest shapes get one
const LABEL_MIN_PX = 26; // a shape narrower than this on screen gets no name

function text(el, key) {
  return el.dataset["text" + key.charAt(0).toUpperCase() + key.slice(1)] || "";
}

function baseLayer(el) {
  const L = window.L;
  const base = el.dataset.base;
  const url = el.dataset.baseUrl;
  const attribution = el.dataset.attribution || "";
  if (base === "tiles" && url) {
    return L.tileLayer(url, { attribution, maxZoom: 18 });
  }
  if (base === "pmtiles" && url) {
    if (el.dataset.flavor && el.dataset.flavor !== "raster" && window.protomapsL) {
      return window.protomapsL.leafletLayer({ url, flavor: el.dataset.flavor, lang: "zh", attribution });
    }
    if (window.pmtiles) {
      return window.pmtiles.leafletRasterLayer(new window.pmtiles.PMTiles(url), { attribution });
    }
  }
  return null;
}

function formatValue(value) {
  if (typeof value === "number" && !Number.isInteger(value)) {
    return String(Math.round(value * 1000) / 1000);
  }
  return String(value);
}

function showInfo(el, meta, props, states) {
  const info = el.querySelector(".dudao-map-info");
  info.replaceChildren();
  const title = document.createElement("strong");
  title.textContent = props.name;
  info.append(title);
  if (props.town) {
    const town = document.createElement("span");
    town.className = "muted";
    town.textContent = " · " + props.town;
    info.append(town);
  }
  const state = states[props.state];
  if (state) {
    const line = document.createElement("div");
    const swatch = document.createElement("span");
    swatch.className = "dudao-map-swatch";
    swatch.style.background = state.colour;
    line.append(swatch, " " + state.label);
    info.append(line);
  }
  for (const field of meta.fields || []) {
    if (props[field.key] !== undefined && props[field.key] !== null) {
      const line = document.createElement("div");
      line.dataset.field = field.key;
      line.textContent = field.label + ": " + formatValue(props[field.key]);
      info.append(line);
    }
  }
  if (meta.link) {
    const hint = document.createElement("div");
    hint.className = "muted small";
    hint.textContent = text(el, "click");
    info.append(hint);
  }
  info.hidden = false;
}

function drawLegend(el, meta) {
  el.querySelector(".dudao-map-title").textContent = meta.title || "";
  el.querySelector(".dudao-map-note").textContent = meta.note || "";
  el.querySelector(".dudao-map-synthetic").textContent = meta.synthetic || "";
  const legend = el.querySelector(".dudao-map-legend");
  legend.replaceChildren();
  for (const entry of meta.legend || []) {
    const item = document.createElement("li");
    item.dataset.state = entry.state;
    const swatch = document.createElement("span");
    swatch.className = "dudao-map-swatch";
    swatch.style.background = entry.colour;
    const count = document.createElement("span");
    count.className = "dudao-map-count";
    count.textContent = String(entry.count);
    item.append(swatch, " " + entry.label + " ", count);
    legend.append(item);
  }
}

// Names: a village's name at its shape's centre where the shape is wide enough on screen and the name does not
// cover one already placed (townships first, then larger villages first). Recomputed after each move or zoom.
function placeLabels(map, pane, candidates) {
  pane.replaceChildren();
  const size = map.getSize();
  const taken = [];
  const bounds = map.getBounds();
  let considered = 0;
  for (const c of candidates) {
    if (!bounds.contains(c.center)) continue;
    if (considered++ > LABEL_LIMIT) break;
    const a = map.latLngToContainerPoint(c.sw);
    const b = map.latLngToContainerPoint(c.ne);
    const width = Math.abs(b.x - a.x);
    if (!c.town && width < LABEL_MIN_PX) continue;
    const p = map.latLngToContainerPoint(c.center);
    const w = c.name.length * (c.town ? 14 : 12) + 6;
    const h = c.town ? 18 : 15;
    const box = [p.x - w / 2, p.y - h / 2, p.x + w / 2, p.y + h / 2];
    if (box[0] < 0 || box[1] < 0 || box[2] > size.x || box[3] > size.y) continue;
    if (taken.some((t) => box[0] < t[2] && box[2] > t[0] && box[1] < t[3] && box[3] > t[1])) continue;
    taken.push(box);
    const label = document.createElement("span");
    label.className = c.town ? "dudao-map-label town" : "dudao-map-label";
    label.textContent = c.name;
    label.dataset.code = c.code;
    label.style.left = Math.round(p.x) + "px";
    label.style.top = Math.round(p.y) + "px";
    pane.append(label);
  }
}

async function draw(el) {
  if (el.dataset.state) return;
  el.dataset.state = "drawing";
  const L = window.L;
  const started = performance.now();
  const status = el.querySelector(".dudao-map-status");
  const canvas = el.querySelector(".dudao-map-canvas");
  canvas.style.height = el.dataset.height || "520px";
  const renderer = L.canvas({ padding: 0.1, tolerance: 2 });
  const map = L.map(canvas, {
    renderer, preferCanvas: true, zoomSnap: 0.25, attributionControl: Boolean(el.dataset.attribution),
  });
  const base = baseLayer(el);
  if (base) {
    base.addTo(map);
  }
  let data;
  try {
    const response = await fetch(el.dataset.url, { credentials: "same-origin", headers: { Accept: "application/geo+json" } });
    if (!response.ok) throw new Error(String(response.status));
    data = await response.json();
    performance.mark("dudao-map:data");
  } catch (error) {
    status.textContent = text(el, "failed");
    el.dataset.state = "failed";
    return;
  }
  const meta = data.meta || {};
  const states = Object.fromEntries((meta.legend || []).map((entry) => [entry.state, entry]));
  const villages = [];
  const towns = [];
  for (const feature of data.features) {
    (feature.properties.kind === "town" ? towns : villages).push(feature);
  }
  drawLegend(el, meta);
  const fill = (feature) => (states[feature.properties.state] || {}).colour || GREY;
  const townLayer = L.geoJSON(towns, {
    renderer, interactive: false,
    style: { fill: false, color: "#343a40", weight: 2, opacity: 0.9 },
  });
  const villageLayer = L.geoJSON(villages, {
    renderer,
    style: (feature) => ({ fillColor: fill(feature), fillOpacity: 0.78, color: "#ffffff", weight: 0.7 }),
    pointToLayer: (feature, latlng) => L.circleMarker(latlng, { renderer, radius: 6 }),
  });
  performance.mark("dudao-map:layers");
  // The view first, then the shapes: each shape is projected once, for the view it is drawn in.
  const bounds = villageLayer.getBounds().isValid() ? villageLayer.getBounds() : townLayer.getBounds();
  if (!bounds.isValid()) {
    map.setView([36, 104], 4);
    status.textContent = text(el, "empty");
    el.dataset.state = "empty";
    el.dataset.features = "0";
    el.dataset.drawnMs = String(Math.round(performance.now() - started));
    return;
  }
  map.fitBounds(bounds, { padding: [8, 8] });
  villageLayer.addTo(map);
  townLayer.addTo(map);
  performance.mark("dudao-map:added");
  let hovered = null;
  villageLayer.on("mouseover", (event) => {
    if (hovered) villageLayer.resetStyle(hovered);
    hovered = event.layer;
    hovered.setStyle({ weight: 2.5, color: "#111111" });
    showInfo(el, meta, event.layer.feature.properties, states);
  });
  villageLayer.on("mouseout", (event) => {
    villageLayer.resetStyle(event.layer);
    hovered = null;
    el.querySelector(".dudao-map-info").hidden = true;
  });
  if (meta.link) {
    villageLayer.on("click", (event) => {
      window.location.href = meta.link.replace("{code}", encodeURIComponent(event.layer.feature.properties.code));
    });
  }
  // Names, in their own pane above the shapes; towns first, then the larger villages.
  const candidates = [];
  const collect = (layer, town) => layer.eachLayer((shape) => {
    const props = shape.feature.properties;
    const box = shape.getBounds ? shape.getBounds() : L.latLngBounds([shape.getLatLng(), shape.getLatLng()]);
    const center = shape.getLatLng ? shape.getLatLng() : box.getCenter();
    const area = (box.getNorth() - box.getSouth()) * (box.getEast() - box.getWest());
    candidates.push({ name: props.name, code: props.code, town, center, sw: box.getSouthWest(), ne: box.getNorthEast(), area });
  });
  collect(townLayer, true);
  collect(villageLayer, false);
  candidates.sort((a, b) => (b.town - a.town) || (b.area - a.area));
  const pane = document.createElement("div");
  pane.className = "dudao-map-labels";
  canvas.append(pane);
  performance.mark("dudao-map:candidates");
  const relabel = () => placeLabels(map, pane, candidates);
  map.on("moveend zoomend resize", relabel);
  relabel();
  performance.mark("dudao-map:labels");
  status.textContent = "";
  el.dataset.features = String(villages.length);
  // The canvas paints on the next animation frame: the map is drawn after the second.
  requestAnimationFrame(() => requestAnimationFrame(() => {
    el.dataset.drawnMs = String(Math.round(performance.now() - started));
    el.dataset.state = "drawn";
    el.dispatchEvent(new CustomEvent("dudao:map-drawn", { bubbles: true }));
  }));
  el.dudaoMap = map;
}

function drawAll(root) {
  for (const el of root.querySelectorAll(".dudao-map")) {
    draw(el);
  }
}

window.dudaoMap = { draw };
drawAll(document);
document.addEventListener("htmx:afterSwap", (event) => drawAll(event.target));
