// The report form's map (progressive enhancement): the county's area and its villages drawn with the vendored
// Leaflet, no base layer (nothing is fetched from the internet); a tap marks the place and fills the form's
// latitude and longitude (WGS-84, as a phone's position). Without JavaScript the map stays hidden and the village
// list is the way to say where. The server checks the place against the same area (outside: refused on the form).
(function () {
  "use strict";
  var box = document.getElementById("report-map");
  if (!box || !window.L || !window.fetch) { return; }
  var L = window.L;
  var latInput = document.getElementById("lat");
  var lonInput = document.getElementById("lon");
  var state = document.getElementById("map-state");
  box.hidden = false;
  var map = L.map("report-map-canvas", {preferCanvas: true, attributionControl: false, zoomSnap: 0.25});
  var marker = null;

  function mark(lat, lon, fill) {
    var latText = Number(lat).toFixed(6);
    var lonText = Number(lon).toFixed(6);
    if (fill) {
      latInput.value = latText;
      lonInput.value = lonText;
    }
    if (marker) {
      marker.setLatLng([lat, lon]);
    } else {
      marker = L.circleMarker([lat, lon], {radius: 9, color: "#b00020", weight: 3, fillColor: "#ff5252",
                                           fillOpacity: 0.9, interactive: false}).addTo(map);
    }
    box.dataset.marked = latText + "," + lonText;
    state.textContent = box.dataset.picked + " " + latText + ", " + lonText;
  }

  map.on("click", function (event) {
    mark(event.latlng.lat, event.latlng.lng, true);
  });
  document.addEventListener("dudao:place", function (event) {
    mark(event.detail.lat, event.detail.lon, false);
    map.panTo([event.detail.lat, event.detail.lon]);
  });

  fetch(box.dataset.url, {credentials: "same-origin"}).then(function (response) {
    if (!response.ok) { throw new Error(response.status); }
    return response.json();
  }).then(function (data) {
    var area = L.geoJSON(data.features.filter(function (f) { return f.properties.kind === "area"; }), {
      style: {color: "#2e7d32", weight: 2, fillColor: "#a5d6a7", fillOpacity: 0.25}, interactive: false
    }).addTo(map);
    L.geoJSON(data.features.filter(function (f) { return f.properties.kind === "village"; }), {
      pointToLayer: function (feature, latlng) {
        return L.circleMarker(latlng, {radius: 3, color: "#37474f", weight: 1, fillOpacity: 0.8, interactive: false})
          .bindTooltip(feature.properties.name);
      }
    }).addTo(map);
    var bounds = area.getBounds();
    if (bounds.isValid()) { map.fitBounds(bounds); } else { map.setView([37.0, 104.0], 9); }
    box.dataset.ready = "true";
    if (latInput.value && lonInput.value) { mark(latInput.value, lonInput.value, false); }
  }).catch(function () {
    box.hidden = true;
    document.getElementById("position-state").textContent = box.dataset.failed;
  });
})();
