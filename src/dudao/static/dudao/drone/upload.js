/* The batch upload of drone photos: three files at a time, each in 4 MB chunks (PUT at an offset), with per-file
   and overall progress. Resumable: a file's key is name:size:lastModified, and the server answers "open upload"
   with the bytes it already holds, so choosing the same files again after a reload sends only the rest. A chunk
   lost to the network is sent again after 1 s, 2 s, 5 s, 10 s ... at most a minute (at once when the browser
   comes back online); a chunk that did arrive is acknowledged again by the server, never stored twice. */
(function () {
  "use strict";

  var config = JSON.parse(document.getElementById("drone-upload-config").textContent);
  var S = config.strings;
  var input = document.getElementById("drone-files");
  var dropzone = document.getElementById("dropzone");
  var rows = document.querySelector("#upload-files tbody");
  var overall = document.getElementById("overall");
  var note = document.getElementById("upload-note");
  var FINAL = { stored: true, duplicate: true, refused: true, error: true };
  var items = [];
  var byKey = {};
  var queue = [];
  var active = 0;
  var sleepers = [];

  function fill(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (_m, name) { return String(values[name]); }).replace("%%", "%");
  }

  function csrf() {
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    if (match) {
      return decodeURIComponent(match[1]);
    }
    var field = document.querySelector("input[name=csrfmiddlewaretoken]");
    return field ? field.value : "";
  }

  function sleep(seconds) {
    return new Promise(function (resolve) {
      var timer = setTimeout(wake, seconds * 1000);
      function wake() {
        clearTimeout(timer);
        var index = sleepers.indexOf(wake);
        if (index >= 0) {
          sleepers.splice(index, 1);
        }
        resolve();
      }
      sleepers.push(wake);
    });
  }

  window.addEventListener("online", function () {
    sleepers.slice().forEach(function (wake) { wake(); });
  });

  /* One HTTP request: resolves with {status, data} for any answer, rejects when no answer came. */
  function request(method, url, body, contentType, onProgress) {
    return new Promise(function (resolve, reject) {
      var xhr = new XMLHttpRequest();
      xhr.open(method, url);
      xhr.setRequestHeader("X-CSRFToken", csrf());
      xhr.setRequestHeader("Accept", "application/json");
      if (contentType) {
        xhr.setRequestHeader("Content-Type", contentType);
      }
      xhr.timeout = 180000;
      if (onProgress && xhr.upload) {
        xhr.upload.onprogress = function (event) { onProgress(event.loaded); };
      }
      xhr.onload = function () {
        var data = null;
        try {
          data = JSON.parse(xhr.responseText);
        } catch (ignored) {
          data = null;
        }
        resolve({ status: xhr.status, data: data });
      };
      xhr.onerror = xhr.ontimeout = xhr.onabort = function () { reject(new Error("network")); };
      xhr.send(body === undefined ? null : body);
    });
  }

  /* Repeat a request until the server answers (a 5xx counts as no answer), backing off between tries. */
  async function retrying(item, attempt) {
    for (var tries = 0; ; tries++) {
      var answer = null;
      try {
        answer = await attempt();
      } catch (ignored) {
        answer = null;
      }
      if (answer && answer.status > 0 && answer.status < 500) {
        if (item.state === "retrying") {
          item.state = "sending";
        }
        return answer;
      }
      var wait = config.backoff[Math.min(tries, config.backoff.length - 1)];
      item.state = "retrying";
      item.message = fill(S.retry, { seconds: wait });
      show(item);
      await sleep(wait);
      item.message = "";
    }
  }

  function refusal(item, answer) {
    item.state = answer.status === 401 || answer.status === 403 ? "error" : "refused";
    item.message = item.state === "error" ? S.signedOut
      : (answer.data && answer.data.detail) || String(answer.status);
  }

  async function send(item) {
    item.state = "sending";
    show(item);
    var file = item.file;
    var opened = await retrying(item, function () {
      return request("POST", config.openUrl, JSON.stringify({ key: item.key, filename: file.name, size: file.size }),
        "application/json");
    });
    if (opened.status !== 200) {
      return refusal(item, opened);
    }
    var upload = opened.data;
    item.id = upload.id;
    item.received = upload.received;
    if (upload.status === "open" && upload.received > 0) {
      item.message = fill(S.resumed, { percent: Math.floor(100 * upload.received / file.size) });
    }
    while (upload.status === "open") {
      var offset = item.received;
      var chunk = file.slice(offset, Math.min(file.size, offset + config.chunk));
      show(item);
      var answer = await retrying(item, function () {
        item.inflight = 0;
        return request("PUT", config.uploadUrl + upload.id + "?offset=" + offset, chunk, "application/octet-stream",
          function (loaded) { item.inflight = Math.min(loaded, chunk.size); show(item); });
      });
      item.inflight = 0;
      if (answer.status === 409) {  // the server holds another number of bytes: ask how many, go on from there
        answer = await retrying(item, function () { return request("GET", config.uploadUrl + upload.id); });
      }
      if (answer.status !== 200) {
        return refusal(item, answer);
      }
      upload = answer.data;
      item.received = upload.received;
    }
    item.state = upload.status;
    item.message = upload.message || "";
    if (upload.status === "stored") {
      refreshTable();
    }
  }

  // What the page shows ---------------------------------------------------------------------------------

  function row(item) {
    var tr = document.createElement("tr");
    tr.dataset.name = item.file.name;
    var name = document.createElement("td");
    name.className = "file";
    name.textContent = item.file.name;
    var bar = document.createElement("td");
    bar.className = "bar";
    var progress = document.createElement("progress");
    progress.max = Math.max(item.file.size, 1);
    progress.value = 0;
    bar.appendChild(progress);
    var status = document.createElement("td");
    status.className = "status";
    tr.appendChild(name);
    tr.appendChild(bar);
    tr.appendChild(status);
    rows.appendChild(tr);
    return tr;
  }

  function done(item) {
    return FINAL[item.state] ? item.file.size : item.received + (item.inflight || 0);
  }

  function show(item) {
    var tr = item.row;
    tr.dataset.state = item.state;
    tr.dataset.received = String(item.received);
    tr.querySelector("progress").value = done(item);
    var label = S[item.state] || S.sending;
    if (item.state === "retrying") {
      label = item.message;
    } else if (item.message) {
      label += " · " + item.message;
    } else if (item.state === "sending") {
      label += " " + Math.floor(100 * done(item) / Math.max(item.file.size, 1)) + " %";
    }
    tr.querySelector(".status").textContent = label;
    tr.classList.toggle("error", item.state === "refused" || item.state === "error");
    summary();
  }

  function summary() {
    var counts = { stored: 0, duplicate: 0, refused: 0, waiting: 0 };
    var total = 0;
    var sent = 0;
    items.forEach(function (item) {
      total += item.file.size;
      sent += done(item);
      if (item.state === "stored" || item.state === "duplicate") {
        counts[item.state] += 1;
      } else if (item.state === "refused" || item.state === "error") {
        counts.refused += 1;
      } else {
        counts.waiting += 1;
      }
    });
    Object.keys(counts).forEach(function (name) {
      document.getElementById("count-" + name).textContent = String(counts[name]);
    });
    var percent = total ? Math.floor(100 * sent / total) : 0;
    if (percent === 100 && counts.waiting) {
      percent = 99;  // the last chunk is on the server but the photo is still being read
    }
    document.getElementById("overall-progress").value = percent;
    document.getElementById("overall-percent").textContent = percent + " %";
    overall.dataset.state = items.length === 0 ? "idle" : counts.waiting ? "running" : "done";
  }

  var refreshing = false;
  var again = false;

  /* Reload the batch's photo table: at once, then at most every two seconds while files keep arriving. */
  function refreshTable() {
    if (refreshing) {
      again = true;
      return;
    }
    refreshing = true;
    fetch(config.tableUrl, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (html !== null) {
          document.getElementById("batch-table").innerHTML = html;
        }
      })
      .catch(function () { again = true; })
      .then(function () { return sleep(2); })
      .then(function () {
        refreshing = false;
        if (again) {
          again = false;
          refreshTable();
        }
      });
  }

  function start(item) {
    active += 1;
    send(item).catch(function (error) {
      item.state = "error";
      item.message = String(error);
    }).then(function () {
      active -= 1;
      show(item);
      pump();
    });
  }

  function pump() {
    while (active < config.parallel && queue.length) {
      start(queue.shift());
    }
  }

  function accepted(name) {
    var lower = name.toLowerCase();
    return config.accept.some(function (ending) { return lower.slice(-ending.length) === ending; });
  }

  function add(files) {
    Array.prototype.forEach.call(files, function (file) {
      var key = file.name + ":" + file.size + ":" + file.lastModified;
      var known = byKey[key];
      if (known && known.state !== "error") {
        return;  // already on the list
      }
      var item = known || { file: file, key: key, received: 0, inflight: 0, message: "" };
      item.file = file;
      item.state = "waiting";
      item.message = "";
      if (!known) {
        item.row = row(item);
        items.push(item);
        byKey[key] = item;
      }
      if (!accepted(file.name)) {
        item.state = "refused";
        item.message = S.notAccepted;
      } else {
        queue.push(item);
      }
      show(item);
    });
    summary();
    pump();
  }

  input.addEventListener("change", function () {
    add(input.files);
    input.value = "";
  });
  ["dragenter", "dragover"].forEach(function (type) {
    dropzone.addEventListener(type, function (event) {
      event.preventDefault();
      dropzone.classList.add("over");
    });
  });
  ["dragleave", "drop"].forEach(function (type) {
    dropzone.addEventListener(type, function () { dropzone.classList.remove("over"); });
  });
  dropzone.addEventListener("drop", function (event) {
    event.preventDefault();
    if (event.dataTransfer && event.dataTransfer.files.length) {
      add(event.dataTransfer.files);
    }
  });
  window.addEventListener("beforeunload", function (event) {
    if (items.some(function (item) { return !FINAL[item.state]; })) {
      event.preventDefault();
      event.returnValue = S.leave;
      return S.leave;
    }
    return undefined;
  });
  note.textContent = "";
}());
