// The grid person's forms: fill in the phone's position (latitude, longitude, accuracy) before they are sent.
(function () {
  "use strict";
  function fill(form, position) {
    form.querySelector("[name=lat]").value = position.coords.latitude.toFixed(6);
    form.querySelector("[name=lon]").value = position.coords.longitude.toFixed(6);
    form.querySelector("[name=accuracy_m]").value = Math.round(position.coords.accuracy);
    const note = form.querySelector(".grid-position");
    if (note) {
      note.textContent = note.dataset.located || "";
    }
  }
  document.addEventListener("DOMContentLoaded", function () {
    const forms = document.querySelectorAll(".grid-position-form");
    if (!forms.length || !navigator.geolocation) {
      return;
    }
    navigator.geolocation.getCurrentPosition(function (position) {
      forms.forEach(function (form) { fill(form, position); });
    }, function () { /* no position: the server says the round or photo needs one */ },
    { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
  });
})();
