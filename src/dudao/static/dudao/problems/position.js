// The position of a new problem or of a rectification (templates/problems/_position.html): the device's position
// when it gives one, else the latitude and longitude typed by hand; what happened is said in the status line.
(function () {
  "use strict";
  document.querySelectorAll("fieldset.position").forEach(function (box) {
    var status = box.querySelector("[data-position-status]");
    var lat = box.querySelector("input[name=lat]"), lon = box.querySelector("input[name=lon]");
    var accuracy = box.querySelector("input[name=accuracy_m]");
    var typed = false;
    [lat, lon].forEach(function (input) {
      input.addEventListener("input", function () { typed = true; accuracy.value = ""; status.textContent = box.dataset.manual; });
    });
    function unavailable() { status.textContent = box.dataset.unavailable; box.querySelector("details").open = true; }
    if (lat.value && lon.value) { status.textContent = box.dataset.manual; return; }
    if (!navigator.geolocation) { unavailable(); return; }
    navigator.geolocation.getCurrentPosition(function (found) {
      if (typed) return;
      lat.value = found.coords.latitude.toFixed(6);
      lon.value = found.coords.longitude.toFixed(6);
      accuracy.value = Math.round(found.coords.accuracy);
      status.textContent = box.dataset.found + ": " + lat.value + ", " + lon.value + " (±" + accuracy.value + " m)";
      box.dataset.located = "true";
    }, unavailable, {enableHighAccuracy: true, timeout: 20000, maximumAge: 60000});
  });
}());
