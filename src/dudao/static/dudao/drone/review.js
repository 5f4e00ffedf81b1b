/* The keyboard review of a week's drone photos: → / j next, ← / k previous, 1–5 score (saved at once, then the
   next photo), 0 clears, g c s b toggle the rubric flags, z zoom (the mouse or the arrow keys move around while
   zoomed), p raises a problem at the photo's spot, ? shows the keys. Every key is also a button. Saves go one
   after another, so that two quick changes of one photo reach the server in the order they were made. */
(function () {
  "use strict";

  var config = JSON.parse(document.getElementById("drone-review-config").textContent);
  var S = config.strings;
  var photos = config.photos;
  var index = Math.min(config.start || 0, photos.length - 1);
  var zoomed = false;
  var origin = { x: 50, y: 50 };
  var chain = Promise.resolve();
  var pending = 0;
  var flagKeys = {};
  var flagLabels = {};
  config.flags.forEach(function (flag) {
    flagKeys[flag.key] = flag.code;
    flagLabels[flag.code] = flag.label;
  });

  var $ = function (id) { return document.getElementById(id); };
  var stage = $("stage");
  var image = $("review-image");
  var saveState = $("review-save");
  var raiseDialog = $("raise-dialog");
  var helpDialog = $("help-dialog");

  function fill(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (_m, name) { return String(values[name]); });
  }

  function csrf() {
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  function post(url, body) {
    return fetch(url, {
      method: "POST", credentials: "same-origin", body: JSON.stringify(body),
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrf() }
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        return { status: response.status, data: data };
      });
    });
  }

  function metres(value) {
    return value === null || value === undefined ? null : Math.round(value);
  }

  // Showing the current photo ---------------------------------------------------------------------------

  function show() {
    var photo = photos[index];
    if (image.dataset.id !== String(photo.id)) {
      image.src = photo.url;
      image.dataset.id = String(photo.id);
      setZoom(false);
    }
    var next = photos[index + 1];
    if (next) {
      new Image().src = next.url;  // the next photo is ready when the key is pressed
    }
    $("review-village").textContent = photo.village;
    $("review-town").textContent = photo.town;
    $("fact-taken").textContent = photo.taken || "—";
    var heights = [];
    if (metres(photo.relative) !== null) {
      heights.push(fill(S.relative, { metres: metres(photo.relative) }));
    }
    if (metres(photo.altitude) !== null) {
      heights.push(fill(S.altitude, { metres: metres(photo.altitude) }));
    }
    $("fact-altitude").textContent = heights.join(" · ") || "—";
    $("fact-placement").textContent = photo.placement +
      (metres(photo.distance) !== null ? " · " + fill(S.distance, { metres: metres(photo.distance) }) : "");
    $("fact-file").textContent = photo.filename;
    $("fact-file").href = photo.detail;
    var outside = $("review-outside");
    outside.hidden = !photo.outside;
    outside.textContent = photo.outside ? fill(S.outside, { week: photo.week }) : "";
    document.querySelectorAll("[data-score]").forEach(function (button) {
      button.setAttribute("aria-pressed", String(Number(button.dataset.score) === photo.score));
    });
    document.querySelectorAll("[data-flag]").forEach(function (button) {
      button.setAttribute("aria-pressed", String(photo.flags.indexOf(button.dataset.flag) >= 0));
    });
    var scored = photos.filter(function (p) { return p.score !== null; }).length;
    $("review-progress").textContent = fill(S.progress, { scored: scored, total: photos.length });
    $("review-position").textContent = fill(S.position, { n: index + 1, total: photos.length });
    $("review-bar").value = scored;
    var raised = $("review-raised");
    raised.textContent = "";
    (photo.raised || []).forEach(function (problem) {
      var line = document.createElement("p");
      var link = document.createElement("a");
      link.href = problem.url;
      link.className = "raised-problem";
      link.textContent = fill(S.raised, { number: problem.number });
      line.appendChild(link);
      raised.appendChild(line);
    });
    document.body.dataset.photo = String(photo.id);
    var url = new URL(window.location.href);
    url.searchParams.set("photo", String(photo.id));
    window.history.replaceState(null, "", url.toString());
  }

  function go(step) {
    var target = index + step;
    if (target >= 0 && target < photos.length) {
      index = target;
      show();
    }
  }

  // Scores and flags --------------------------------------------------------------------------------------

  function status(state, text) {
    saveState.dataset.state = state;
    saveState.dataset.pending = String(pending);
    saveState.textContent = text;
  }

  function save(photo, score, flags) {
    var before = { score: photo.score, flags: photo.flags.slice() };
    photo.score = score;
    photo.flags = flags;
    pending += 1;
    status("saving", S.saving);
    chain = chain.then(function () {
      return post(config.scoreUrl.replace("{id}", photo.id), { score: score, flags: flags });
    }).then(function (answer) {
      if (answer.status !== 200) {
        throw new Error((answer.data && answer.data.detail) || String(answer.status));
      }
      photo.score = answer.data.score;
      photo.flags = answer.data.flags;
      pending -= 1;
      status(pending ? "saving" : "saved", pending ? S.saving : photo.filename + ": " + S.saved);
    }).catch(function (error) {
      photo.score = before.score;
      photo.flags = before.flags;
      pending -= 1;
      status("failed", photo.filename + ": " + fill(S.failed, { reason: error.message || S.network }));
    }).then(function () {
      if (photos[index] === photo) {
        show();
      }
    });
    show();
  }

  function score(value) {
    var photo = photos[index];
    save(photo, value === 0 ? null : value, photo.flags.slice());
    if (value !== 0) {
      go(1);
    }
  }

  function toggleFlag(code) {
    var photo = photos[index];
    var flags = photo.flags.slice();
    var at = flags.indexOf(code);
    if (at >= 0) {
      flags.splice(at, 1);
    } else {
      flags.push(code);
    }
    save(photo, photo.score, flags.sort());
  }

  // Zoom ------------------------------------------------------------------------------------------------

  function setZoom(on) {
    zoomed = on;
    stage.classList.toggle("zoomed", on);
    image.style.transformOrigin = origin.x + "% " + origin.y + "%";
    document.querySelector("[data-action=zoom]").setAttribute("aria-pressed", String(on));
    stage.title = on ? S.zoomOn : "";
  }

  function pan(dx, dy) {
    origin.x = Math.max(0, Math.min(100, origin.x + dx));
    origin.y = Math.max(0, Math.min(100, origin.y + dy));
    image.style.transformOrigin = origin.x + "% " + origin.y + "%";
  }

  stage.addEventListener("mousemove", function (event) {
    if (!zoomed) {
      return;
    }
    var box = stage.getBoundingClientRect();
    origin.x = Math.max(0, Math.min(100, 100 * (event.clientX - box.left) / box.width));
    origin.y = Math.max(0, Math.min(100, 100 * (event.clientY - box.top) / box.height));
    image.style.transformOrigin = origin.x + "% " + origin.y + "%";
  });
  stage.addEventListener("click", function (event) {
    if (!zoomed) {
      var box = stage.getBoundingClientRect();
      origin = { x: 100 * (event.clientX - box.left) / box.width, y: 100 * (event.clientY - box.top) / box.height };
    }
    setZoom(!zoomed);
  });

  // Raising a problem -------------------------------------------------------------------------------------

  function openRaise() {
    var photo = photos[index];
    var category = $("raise-category");
    var wanted = photo.flags.length ? config.flagCategories[photo.flags[0]] : config.fallbackCategory;
    if (wanted) {
      category.value = wanted;
    }
    var seen = photo.flags.map(function (code) { return flagLabels[code]; }).join(", ");
    $("raise-description").value = fill(S.describe, { file: photo.filename }) + (seen ? ": " + seen : "");
    $("raise-error").textContent = "";
    $("raise-submit").disabled = false;
    raiseDialog.dataset.photo = String(photo.id);
    raiseDialog.showModal();
    $("raise-description").focus();
  }

  $("raise-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var photo = photos.filter(function (p) { return String(p.id) === raiseDialog.dataset.photo; })[0];
    $("raise-submit").disabled = true;
    post(config.problemUrl.replace("{id}", photo.id), {
      category: $("raise-category").value, description: $("raise-description").value
    }).then(function (answer) {
      if (answer.status !== 201) {
        throw new Error((answer.data && answer.data.detail) || String(answer.status));
      }
      photo.raised = (photo.raised || []).concat([{
        number: answer.data.number,
        url: config.problemPage.replace(config.problemPlaceholder, String(answer.data.problem))
      }]);
      raiseDialog.close();
      show();
    }).catch(function (error) {
      $("raise-error").textContent = error.message || S.network;
      $("raise-submit").disabled = false;
    });
  });
  $("raise-cancel").addEventListener("click", function () { raiseDialog.close(); });
  $("help-close").addEventListener("click", function () { helpDialog.close(); });

  // Keys and buttons --------------------------------------------------------------------------------------

  function act(action) {
    if (action === "next") {
      go(1);
    } else if (action === "previous") {
      go(-1);
    } else if (action === "zoom") {
      setZoom(!zoomed);
    } else if (action === "raise") {
      openRaise();
    } else if (action === "help") {
      helpDialog.showModal();
    }
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || raiseDialog.open || helpDialog.open) {
      return;
    }
    var target = event.target;
    if (target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))) {
      return;
    }
    var key = event.key;
    var arrows = { ArrowLeft: [-10, 0], ArrowRight: [10, 0], ArrowUp: [0, -10], ArrowDown: [0, 10] };
    if (zoomed && arrows[key]) {
      pan(arrows[key][0], arrows[key][1]);
    } else if (key === "ArrowRight" || key === "j") {
      go(1);
    } else if (key === "ArrowLeft" || key === "k") {
      go(-1);
    } else if (/^[0-5]$/.test(key)) {
      score(Number(key));
    } else if (flagKeys[key]) {
      toggleFlag(flagKeys[key]);
    } else if (key === "z") {
      setZoom(!zoomed);
    } else if (key === "p") {
      openRaise();
    } else if (key === "?") {
      helpDialog.showModal();
    } else if (key === "Escape" && zoomed) {
      setZoom(false);
    } else {
      return;
    }
    event.preventDefault();
  });

  document.querySelectorAll("[data-score]").forEach(function (button) {
    button.addEventListener("click", function () { score(Number(button.dataset.score)); });
  });
  document.querySelectorAll("[data-flag]").forEach(function (button) {
    button.addEventListener("click", function () { toggleFlag(button.dataset.flag); });
  });
  document.querySelectorAll("[data-action]").forEach(function (button) {
    button.addEventListener("click", function () { act(button.dataset.action); });
  });

  show();
}());
