// The report form's "use my position": shown only where the browser can read it (progressive enhancement; the
// form works without it by picking a village).
(function () {
  "use strict";
  var box = document.querySelector("#place .locate");
  if (!box || !navigator.geolocation) { return; }
  var button = document.getElementById("use-position");
  var state = document.getElementById("position-state");
  box.hidden = false;
  button.addEventListener("click", function () {
    button.disabled = true;
    navigator.geolocation.getCurrentPosition(function (position) {
      var lat = position.coords.latitude.toFixed(6);
      var lon = position.coords.longitude.toFixed(6);
      document.getElementById("lat").value = lat;
      document.getElementById("lon").value = lon;
      state.textContent = state.dataset.found + " " + lat + ", " + lon;
      document.dispatchEvent(new CustomEvent("dudao:place", {detail: {lat: lat, lon: lon, from: "position"}}));
      button.disabled = false;
    }, function () {
      state.textContent = state.dataset.failed;
      button.disabled = false;
    }, {enableHighAccuracy: true, timeout: 15000, maximumAge: 60000});
  });
})();
