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

// Village areas: one canvas drawn by hand rather than a Leaflet layer per village, so that a province's 16,000
// villages draw in a fraction of a second. Every vertex is projected once (Web Mercator, zoom 0 pixels); a draw
// fills each colour's shapes as one path and strokes their borders. Hit-testing uses a grid of the shapes' boxes.
const WORLD = 256;

function mercator(lon, lat) {
  const clamped = Math.max(Math.min(lat, 85.0511287798), -85.0511287798);
  const sin = Math.sin((clamped * Math.PI) / 180);
  return [WORLD * (lon / 360 + 0.5), WORLD * (0.5 - Math.log((1 + sin) / (1 - sin)) / (4 * Math.PI))];
}

function compile(features, colourOf) {
  const shapes = [];
  for (const feature of features) {
    const g = feature.geometry;
    const polygons = g.type === "Polygon" ? [g.coordinates] : g.type === "MultiPolygon" ? g.coordinates : null;
    const shape = {
      feature, colour: colourOf(feature), rings: [], point: null,
      minX: Infinity, minY: Infinity, maxX: -Infinity, maxY: -Infinity,
      west: Infinity, south: Infinity, east: -Infinity, north: -Infinity,
    };
    const extend = (lon, lat, x, y) => {
      if (x < shape.minX) shape.minX = x;
      if (x > shape.maxX) shape.maxX = x;
      if (y < shape.minY) shape.minY = y;
      if (y > shape.maxY) shape.maxY = y;
      if (lon < shape.west) shape.west = lon;
      if (lon > shape.east) shape.east = lon;
      if (lat < shape.south) shape.south = lat;
      if (lat > shape.north) shape.north = lat;
    };
    if (polygons) {
      for (const polygon of polygons) {
        for (const ring of polygon) {
          const xy = new Float64Array(ring.length * 2);
          for (let i = 0; i < ring.length; i++) {
            const [x, y] = mercator(ring[i][0], ring[i][1]);
            xy[2 * i] = x;
            xy[2 * i + 1] = y;
            extend(ring[i][0], ring[i][1], x, y);
          }
          shape.rings.push(xy);
        }
      }
    } else if (g.type === "Point") {
      const [x, y] = mercator(g.coordinates[0], g.coordinates[1]);
      shape.point = [x, y];
      extend(g.coordinates[0], g.coordinates[1], x, y);
    } else {
      continue;
    }
    shapes.push(shape);
  }
  return shapes;
}

function inRing(xy, x, y) {
  let inside = false;
  for (let i = 0, j = xy.length - 2; i < xy.length; j = i, i += 2) {
    const xi = xy[i], yi = xy[i + 1], xj = xy[j], yj = xy[j + 1];
    if ((yi > y) !== (yj > y) && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

function makeFillLayer(L, shapes) {
  return L.Layer.extend({
    onAdd(map) {
      this._map = map;
      this._canvas = L.DomUtil.create("canvas", "dudao-map-fills leaflet-zoom-animated");
      map.getPane("overlayPane").append(this._canvas);
      this._index();
      this._groups = new Map();
      for (const shape of shapes) {
        if (!this._groups.has(shape.colour)) this._groups.set(shape.colour, []);
        this._groups.get(shape.colour).push(shape);
      }
      performance.mark("dudao-map:indexed");
      map.on("moveend zoomend resize viewreset", this._redraw, this);
      map.on("zoomanim", this._animate, this);
      this._redraw();
    },
    onRemove(map) {
      map.off("moveend zoomend resize viewreset", this._redraw, this);
      map.off("zoomanim", this._animate, this);
      this._canvas.remove();
    },
    // a grid of the shapes' boxes, in zoom-0 pixels, for hit-testing
    _index() {
      let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
      for (const s of shapes) {
        minX = Math.min(minX, s.minX); minY = Math.min(minY, s.minY);
        maxX = Math.max(maxX, s.maxX); maxY = Math.max(maxY, s.maxY);
      }
      const n = Math.max(1, Math.ceil(Math.sqrt(shapes.length)));
      this._grid = { minX, minY, n, w: (maxX - minX) / n || 1e-9, h: (maxY - minY) / n || 1e-9, cells: new Map() };
      const g = this._grid;
      shapes.forEach((s, k) => {
        const x0 = Math.floor((s.minX - minX) / g.w), x1 = Math.min(n - 1, Math.floor((s.maxX - minX) / g.w));
        const y0 = Math.floor((s.minY - minY) / g.h), y1 = Math.min(n - 1, Math.floor((s.maxY - minY) / g.h));
        for (let gx = x0; gx <= x1; gx++) {
          for (let gy = y0; gy <= y1; gy++) {
            const key = gy * n + gx;
            if (!g.cells.has(key)) g.cells.set(key, []);
            g.cells.get(key).push(k);
          }
        }
      });
    },
    shapeAt(latlng) {
      const [x, y] = mercator(latlng.lng, latlng.lat);
      const g = this._grid;
      const gx = Math.floor((x - g.minX) / g.w), gy = Math.floor((y - g.minY) / g.h);
      const tolerance = 4 / this._k; // a point drawn as a dot: 4 screen pixels
      for (const k of g.cells.get(gy * g.n + gx) || []) {
        const s = shapes[k];
        if (s.point) {
          if (Math.abs(s.point[0] - x) <= tolerance && Math.abs(s.point[1] - y) <= tolerance) return s;
          continue;
        }
        if (x < s.minX || x > s.maxX || y < s.minY || y > s.maxY) continue;
        let inside = false;
        for (const ring of s.rings) if (inRing(ring, x, y)) inside = !inside;
        if (inside) return s;
      }
      // dots near the edge of a grid cell
      for (const s of shapes) {
        if (s.point && Math.abs(s.point[0] - x) <= tolerance && Math.abs(s.point[1] - y) <= tolerance) return s;
      }
      return null;
    },
    _animate(event) {
      const map = this._map;
      const scale = map.getZoomScale(event.zoom, this._zoom);
      const offset = map._latLngToNewLayerPoint(this._topLeftLatLng, event.zoom, event.center);
      L.DomUtil.setTransform(this._canvas, offset, scale);
    },
    _redraw() {
      const map = this._map;
      const size = map.getSize();
      const ratio = window.devicePixelRatio || 1;
      const canvas = this._canvas;
      const topLeft = map.containerPointToLayerPoint([0, 0]);
      L.DomUtil.setPosition(canvas, topLeft);
      this._zoom = map.getZoom();
      this._topLeftLatLng = map.layerPointToLatLng(topLeft);
      canvas.width = size.x * ratio;
      canvas.height = size.y * ratio;
      canvas.style.width = size.x + "px";
      canvas.style.height = size.y + "px";
      const crs = map.options.crs;
      const k = crs.scale(this._zoom) / crs.scale(0);
      this._k = k;
      const origin = map.getPixelOrigin().add(topLeft);
      const ctx = canvas.getContext("2d");
      ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
      ctx.clearRect(0, 0, size.x, size.y);
      const left = origin.x / k, top = origin.y / k, right = (origin.x + size.x) / k, bottom = (origin.y + size.y) / k;
      // Each colour's shapes become one SVG path string, parsed by the browser at once (far cheaper than a call per
      // vertex). A shape a few pixels wide keeps fewer vertices (every step-th), a speck is a 2-pixel square; only
      // shapes wide enough for it get a white border.
      const r = (v) => Math.round(v * 10) / 10;
      const trace = (s, out) => {
        const width = (s.maxX - s.minX) * k, height = (s.maxY - s.minY) * k;
        if (s.point) {
          const x = r(s.point[0] * k - origin.x), y = r(s.point[1] * k - origin.y);
          out.push(`M${x + 6} ${y}a6 6 0 1 0 -12 0a6 6 0 1 0 12 0`);
          return;
        }
        if (width < 2 && height < 2) {
          out.push(`M${Math.floor(s.minX * k - origin.x)} ${Math.floor(s.minY * k - origin.y)}h2v2h-2z`);
          return;
        }
        for (const ring of s.rings) {
          const points = ring.length / 2;
          const step = Math.max(1, Math.floor(points / Math.max(4, Math.max(width, height) / 3))) * 2;
          let d = `M${r(ring[0] * k - origin.x)} ${r(ring[1] * k - origin.y)}L`;
          for (let i = step; i < ring.length; i += step) d += `${r(ring[i] * k - origin.x)} ${r(ring[i + 1] * k - origin.y)} `;
          out.push(d + "z");
        }
      };
      ctx.strokeStyle = "#ffffff";
      ctx.lineWidth = 0.7;
      for (const [colour, group] of this._groups) {
        const narrow = [], wide = [];
        for (const s of group) {
          if (s.maxX < left || s.minX > right || s.maxY < top || s.minY > bottom) continue;
          trace(s, (s.maxX - s.minX) * k > 12 ? wide : narrow);
        }
        ctx.fillStyle = colour;
        ctx.globalAlpha = 0.78;
        if (narrow.length) ctx.fill(new Path2D(narrow.join("")), "evenodd");
        if (wide.length) {
          const path = new Path2D(wide.join(""));
          ctx.fill(path, "evenodd");
          ctx.globalAlpha = 1;
          ctx.stroke(path);
        }
      }
      ctx.globalAlpha = 1;
      performance.mark("dudao-map:filled");
    },
  });
}

async function draw(el) {
  if (el.dataset.state) return;
  el.dataset.state = "drawing";
  const L = window.L;
  const started = performance.now();
  const status = el.querySelector(".dudao-map-status");
  const canvas = el.querySelector(".dudao-map-canvas");
  canvas.style.height = el.dataset.height || "520px";
  const renderer = L.canvas({ padding: 0.1 });
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
  const shapes = compile(villages, (feature) => (states[feature.properties.state] || {}).colour || GREY);
  const townShapes = compile(towns, () => "");
  performance.mark("dudao-map:compiled");
  const all = shapes.length ? shapes : townShapes;
  if (!all.length) {
    map.setView([36, 104], 4);
    status.textContent = text(el, "empty");
    el.dataset.state = "empty";
    el.dataset.features = "0";
    el.dataset.drawnMs = String(Math.round(performance.now() - started));
    return;
  }
  // The view first, then the shapes: they are drawn once, for the view they are shown in.
  const west = Math.min(...all.map((s) => s.west)), east = Math.max(...all.map((s) => s.east));
  const south = Math.min(...all.map((s) => s.south)), north = Math.max(...all.map((s) => s.north));
  map.fitBounds([[south, west], [north, east]], { padding: [8, 8], animate: false });
  const fills = new (makeFillLayer(L, shapes))();
  fills.addTo(map);
  const townLayer = L.geoJSON(towns, {
    renderer, interactive: false,
    style: { fill: false, color: el.dataset.theme === "dark" ? "#e8edf5" : "#343a40", weight: 2, opacity: 0.9 },
  }).addTo(map);
  performance.mark("dudao-map:added");
  // Hover: the shape under the pointer is outlined and described; a click opens its page.
  let hovered = null;
  let outline = null;
  const info = el.querySelector(".dudao-map-info");
  map.on("mousemove", (event) => {
    const shape = fills.shapeAt(event.latlng);
    if (shape === hovered) return;
    hovered = shape;
    if (outline) {
      outline.remove();
      outline = null;
    }
    if (!shape) {
      info.hidden = true;
      canvas.classList.remove("pointing");
      return;
    }
    outline = L.geoJSON(shape.feature, {
      renderer, interactive: false,
      style: { fill: false, color: "#111111", weight: 2.5 },
      pointToLayer: (feature, latlng) => L.circleMarker(latlng, { renderer, radius: 7, interactive: false }),
    }).addTo(map);
    canvas.classList.add("pointing");
    showInfo(el, meta, shape.feature.properties, states);
  });
  map.on("mouseout", () => {
    hovered = null;
    if (outline) outline.remove();
    info.hidden = true;
  });
  if (meta.link) {
    map.on("click", (event) => {
      const shape = fills.shapeAt(event.latlng);
      if (shape) {
        window.location.href = meta.link.replace("{code}", encodeURIComponent(shape.feature.properties.code));
      }
    });
  }
  // Names, in their own pane above the shapes; towns first, then the larger villages.
  const candidates = [];
  const candidate = (s, town) => {
    const props = s.feature.properties;
    candidates.push({
      name: props.name, code: props.code, town,
      center: L.latLng((s.south + s.north) / 2, (s.west + s.east) / 2),
      sw: L.latLng(s.south, s.west), ne: L.latLng(s.north, s.east),
      area: (s.maxX - s.minX) * (s.maxY - s.minY),
    });
  };
  for (const s of townShapes) candidate(s, true);
  for (const s of shapes) candidate(s, false);
  candidates.sort((a, b) => (b.town - a.town) || (b.area - a.area));
  const pane = document.createElement("div");
  pane.className = "dudao-map-labels";
  canvas.append(pane);
  const relabel = () => placeLabels(map, pane, candidates);
  map.on("moveend zoomend resize", relabel);
  relabel();
  performance.mark("dudao-map:labels");
  status.textContent = "";
  el.dataset.features = String(shapes.length);
  // The shapes are on the canvas already; the town borders paint on the next animation frame.
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
