/* The inspectors' field app: pick a village (nearest first), score its checklist, take photos, record time and
 * position, keep drafts, and queue finished inspections on the phone until they are sent.
 *
 * Everything the inspector makes lives in IndexedDB first ("drafts", then "outbox"; the photos' bytes once each in
 * "photos", keyed by their idempotency key, so that saving a draft never copies them); the sender reads the outbox,
 * uploads each photo (XMLHttpRequest, for upload progress) and then posts the inspection with the photo ids. Every
 * request carries an idempotency key (the inspection's client_key, and `${key}-p${n}` per photo, n counted per
 * draft and never reused), so a retry after a lost answer returns what the server already stored instead of
 * storing it twice. Photos are shrunk on the phone before they are kept (upload.js): slow links.
 *
 * A phone may be shared: the service worker can open the page the last user left. Nothing is sent before the
 * server has said who is signed in (state.serverUser), and only that user's outbox items are; each request names
 * the item's owner (X-Dudao-User) so that the server refuses it (409) when the session changed since.
 *
 * A session lapses (days without a signal): when a user first opens the app signed in, it registers this device
 * (POST /api/v1/devices, session only) and keeps the long-lived bearer token it receives in IndexedDB ("meta",
 * "devices": one per user of the phone). Every call for that user then carries `Authorization: Bearer`, so a sync
 * after the session expired still works. A token the server refuses (401: revoked on the account page, by signing
 * out on this phone, or the account closed) is forgotten: the session decides then, as before, and without one
 * the app asks to sign in again (decision 0020).
 *
 * No build step and no libraries; the sentences shown come translated from the page (#field-config).
 */
(function () {
  'use strict';

  const config = JSON.parse(document.getElementById('field-config').textContent);
  const T = config.texts;
  // The page was loaded from the network on purpose, because the copy shown before was another user's.
  const RELOADED = new URLSearchParams(location.search).has('fresh');
  const shrinkPhoto = window.dudaoUpload ? window.dudaoUpload.shrinkPhoto : async (file) => file;
  const RETRY_MS = 30000;
  const STALL_MS = 60000; // abort a request when nothing moved for this long (slow links are fine, dead ones not)
  const BOOTSTRAP_TIMEOUT_MS = 15000;
  const RESORT_METRES = 50; // re-sort the village list only when the phone moved this far
  const SENT_KEPT = 10;

  const $ = (id) => document.getElementById(id);
  const state = {
    boot: null, // the bootstrap answer (checklists, villages, categories)
    clockOffset: 0, // server time − phone time, ms
    serverUser: null, // who the server last said is signed in; null: not known (offline, signed out)
    position: null, // {lat, lon, accuracy, at}
    sortedAt: null, // the position the village list was sorted by
    draft: null, // the inspection being made
    screen: 'loading',
    sending: false,
    offline: !navigator.onLine,
    authProblem: false,
    progress: null,
    lastResultKey: null,
    saveTimer: null,
    again: false, // something was queued while a send round was running
  };

  // --- small helpers -------------------------------------------------------------------------------------------

  function fmt(text, params) {
    return text.replace(/%\((\w+)\)s/g, (match, name) => (name in params ? String(params[name]) : match));
  }

  function el(tag, props, children, data) {
    const node = document.createElement(tag);
    Object.assign(node, props || {});
    Object.assign(node.dataset, data || {});
    for (const child of children || []) node.append(child);
    return node;
  }

  function number(value) {
    return String(Math.round(value * 100) / 100);
  }

  function distanceText(metres) {
    if (metres < 1000) return fmt(T.metres, {n: Math.round(metres)});
    return fmt(T.kilometres, {n: (metres / 1000).toFixed(metres < 10000 ? 1 : 0)});
  }

  function distanceM(lat1, lon1, lat2, lon2) { // haversine, as dudao.core.geo.distance_m
    const rad = Math.PI / 180;
    const dLat = (lat2 - lat1) * rad;
    const dLon = (lon2 - lon1) * rad;
    const h = Math.sin(dLat / 2) ** 2 + Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin(dLon / 2) ** 2;
    return 2 * 6371008.8 * Math.asin(Math.min(1, Math.sqrt(h)));
  }

  function now() { // the server's idea of now: the phone's clock corrected by the offset seen at bootstrap
    return new Date(Date.now() + state.clockOffset);
  }

  function timeText(iso) {
    const date = new Date(iso);
    const pad = (n) => String(n).padStart(2, '0');
    return `${date.getMonth() + 1}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}`;
  }

  function newKey() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    // crypto.randomUUID needs a secure context; a county intranet may serve plain HTTP.
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }

  function csrfToken() {
    const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    if (match) return decodeURIComponent(match[1]);
    const input = document.querySelector('input[name=csrfmiddlewaretoken]');
    return input ? input.value : '';
  }

  function message(text, kind) {
    const box = $('field-message');
    box.textContent = text || '';
    box.className = `flash ${kind || ''}`;
    box.hidden = !text;
  }

  // --- IndexedDB ------------------------------------------------------------------------------------------------

  let dbPromise = null;

  function db() {
    if (!dbPromise) {
      dbPromise = new Promise((resolve, reject) => {
        const request = indexedDB.open('dudao-field', 1);
        request.onupgradeneeded = () => {
          const database = request.result;
          database.createObjectStore('meta');
          database.createObjectStore('drafts', {keyPath: 'key'});
          database.createObjectStore('outbox', {keyPath: 'key'});
          database.createObjectStore('photos'); // Blobs, keyed `${inspection key}-p${n}`
        };
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => reject(request.error);
      });
    }
    return dbPromise;
  }

  async function store(name, mode, action) {
    const database = await db();
    return new Promise((resolve, reject) => {
      const tx = database.transaction(name, mode);
      const request = action(tx.objectStore(name));
      tx.oncomplete = () => resolve(request ? request.result : undefined);
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error);
    });
  }

  const idb = {
    get: (name, key) => store(name, 'readonly', (s) => s.get(key)),
    all: (name) => store(name, 'readonly', (s) => s.getAll()),
    put: (name, value, key) => store(name, 'readwrite', (s) => (key === undefined ? s.put(value) : s.put(value, key))),
    del: (name, key) => store(name, 'readwrite', (s) => s.delete(key)),
  };

  const photoKey = (key, n) => `${key}-p${n}`;

  // --- this device's token per user -----------------------------------------------------------------------------

  async function deviceToken(username) {
    const devices = (await idb.get('meta', 'devices')) || {};
    return devices[username] ? devices[username].token : null;
  }

  async function keepDevice(username, device) { // device null: forget it
    const devices = (await idb.get('meta', 'devices')) || {};
    if (device) devices[username] = device;
    else delete devices[username];
    await idb.put('meta', devices, 'devices');
  }

  // The signed-in user has no token on this phone yet: register the device (a session request, with CSRF).
  async function registerDevice() {
    if (await deviceToken(config.username)) return;
    try {
      const response = await fetch(config.devices, {
        method: 'POST', credentials: 'same-origin', body: JSON.stringify({name: ''}),
        headers: {Accept: 'application/json', 'Content-Type': 'application/json', 'X-CSRFToken': csrfToken()},
      });
      if (response.status !== 201) return;
      const data = await response.json();
      await keepDevice(config.username, {id: data.id, name: data.name, token: data.token});
      $('field').dataset.device = String(data.id);
    } catch (error) {
      // Offline: registered the next time the server answers.
    }
  }

  async function deletePhotos(key, photos) {
    await Promise.all(photos.map((photo) => idb.del('photos', photoKey(key, photo.n))));
  }

  // --- bootstrap: cached on the phone, refreshed whenever the server answers ------------------------------------

  async function loadBootstrap() {
    const cached = await idb.get('meta', 'bootstrap');
    if (cached && cached.data.username === config.username) useBootstrap(cached.data, cached.clockOffset);
    await refreshBootstrap();
    if (!state.boot) {
      message(state.authProblem ? T.sign_in_again : T.offline, 'error');
      $('field-loading').hidden = true;
    }
    renderStatus();
  }

  // Ask the server for the bootstrap, which also says who is signed in. Sets state.serverUser (null when the
  // server did not answer or nobody is signed in); the page itself is replaced when it was made for another user.
  async function refreshBootstrap() {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), BOOTSTRAP_TIMEOUT_MS);
    state.serverUser = null;
    try {
      const started = Date.now();
      const token = await deviceToken(config.username);
      const headers = {Accept: 'application/json'};
      if (token) headers.Authorization = `Bearer ${token}`;
      const response = await fetch(config.bootstrap, {credentials: 'same-origin', headers, signal: controller.signal});
      state.offline = false;
      if (response.status === 401 && token) { // the device was revoked: forget it, ask the session
        await keepDevice(config.username, null);
        delete $('field').dataset.device;
        return refreshBootstrap();
      } else if (response.status === 401) {
        state.authProblem = true;
      } else if (response.ok) {
        const data = await response.json();
        state.serverUser = data.username;
        state.authProblem = false;
        if (data.username !== config.username) {
          reloadForUser(data.username);
          return;
        }
        const offset = Date.parse(data.server_time) - (started + Date.now()) / 2;
        await idb.put('meta', {data, clockOffset: offset}, 'bootstrap');
        useBootstrap(data, offset);
        if (!token) await registerDevice();
      }
    } catch (error) {
      state.offline = true;
    } finally {
      clearTimeout(timer);
    }
  }

  let confirming = null;

  // Who is signed in, asked once at a time: the server's username, or null when it is not known.
  async function confirmUser() {
    if (!confirming) confirming = refreshBootstrap().finally(() => { confirming = null; });
    await confirming;
    return state.serverUser;
  }

  // This page was made for another user than the one signed in: on a shared phone the service worker served the
  // copy the last user left. Load the signed-in user's own page from the network (the query makes the service
  // worker skip its copy), once: should that page be someone else's too, say so instead of reloading forever.
  function reloadForUser(username) {
    if (RELOADED) {
      message(fmt(T.other_user, {user: username, page_user: config.username}), 'error');
      return;
    }
    location.replace(`${config.scope}?fresh=${Date.now()}`);
  }

  // Only the user this page was made for, confirmed by the server, sends; and only their own outbox items.
  function mayDrain() {
    return state.serverUser !== null && state.serverUser === config.username;
  }

  function useBootstrap(data, offset) {
    const first = !state.boot;
    state.boot = data;
    state.clockOffset = offset || 0;
    if (first) {
      $('field-loading').hidden = true;
      message('');
      route();
    } else if (state.screen === 'home') {
      renderVillages();
    }
  }

  // --- position -------------------------------------------------------------------------------------------------

  let watchId = null;

  function watchPosition() {
    if (!navigator.geolocation || watchId !== null) return;
    watchId = navigator.geolocation.watchPosition((fix) => {
      state.position = {
        lat: fix.coords.latitude, lon: fix.coords.longitude, accuracy: fix.coords.accuracy, at: now().toISOString(),
      };
      if (state.draft) {
        state.draft.position = state.position;
        scheduleSave();
        renderPosition();
      }
      if (state.screen === 'home' && (!state.sortedAt || distanceM(state.sortedAt.lat, state.sortedAt.lon,
        state.position.lat, state.position.lon) > RESORT_METRES)) renderVillages();
    }, () => renderPosition(), {enableHighAccuracy: true, maximumAge: 10000, timeout: 60000});
  }

  function stopWatching() {
    if (watchId !== null) navigator.geolocation.clearWatch(watchId);
    watchId = null;
  }

  // --- the village list -----------------------------------------------------------------------------------------

  function renderVillages() {
    if (!state.boot) return;
    const query = $('village-search').value.trim().toLowerCase();
    const here = state.position;
    let villages = state.boot.villages.map((v) => ({
      village: v,
      distance: here && v.lat !== null ? distanceM(here.lat, here.lon, v.lat, v.lon) : null,
    }));
    if (query) {
      villages = villages.filter(({village}) => village.name.toLowerCase().includes(query)
        || village.pinyin_initials.startsWith(query) || village.town_name.includes(query));
    }
    if (here) {
      state.sortedAt = here;
      villages.sort((a, b) => (a.distance === null) - (b.distance === null) || a.distance - b.distance);
    } else {
      villages.sort((a, b) => a.village.pinyin_initials.localeCompare(b.village.pinyin_initials));
    }
    $('village-position').textContent = here ? fmt(T.position_no_village, {accuracy: Math.round(here.accuracy)})
      : T.no_position;
    const list = $('village-list');
    list.replaceChildren(...villages.slice(0, 60).map(({village, distance}) => el('li', {}, [
      el('button', {type: 'button', className: 'row secondary outline', onclick: () => openVillage(village.code)}, [
        el('span', {}, [village.name, ' ', el('small', {textContent: village.town_name})]),
        el('small', {className: 'distance', textContent: distance === null ? '' : distanceText(distance)}),
      ]),
    ], {code: village.code})));
    if (!villages.length) list.replaceChildren(el('li', {className: 'muted', textContent: T.no_villages}));
  }

  async function renderDrafts() {
    const drafts = (await idb.all('drafts')).filter((d) => d.username === config.username);
    drafts.sort((a, b) => (a.updated_at < b.updated_at ? 1 : -1));
    $('drafts').hidden = !drafts.length;
    $('draft-list').replaceChildren(...drafts.map((d) => el('li', {}, [
      el('button', {type: 'button', className: 'row secondary', onclick: () => openVillage(d.village)}, [
        el('span', {textContent: d.village_name}),
        el('small', {textContent: timeText(d.updated_at)}),
      ]),
    ], {key: d.key, code: d.village})));
  }

  async function renderSent() {
    const sent = (await idb.get('meta', 'sent')) || [];
    const mine = sent.filter((s) => s.username === config.username);
    $('sent').hidden = !mine.length;
    $('sent-list').replaceChildren(...mine.map((s) => el('li', {className: 'entry small'}, [
      el('strong', {textContent: s.village_name}), ' ', fmt(T.sent, {score: number(s.score), week: s.week}),
      ' ', el('small', {className: 'muted', textContent: timeText(s.inspected_at)}),
    ])));
  }

  // --- the inspection form ------------------------------------------------------------------------------------

  function checklistsFor(village) {
    const found = state.boot.checklists.filter((c) => c.town === null || c.town === village.town);
    return found.sort((a, b) => (a.town !== null) - (b.town !== null)); // the county's first
  }

  async function openVillage(code) {
    const village = state.boot.villages.find((v) => v.code === code);
    if (!village) return;
    const drafts = await idb.all('drafts');
    let draft = drafts.find((d) => d.village === code && d.username === config.username);
    if (!draft) {
      const checklist = checklistsFor(village)[0] || null;
      draft = {
        key: newKey(), username: config.username, village: code, village_name: village.name,
        village_point: village.lat === null ? null : {lat: village.lat, lon: village.lon}, checklist,
        started_at: now().toISOString(), updated_at: now().toISOString(), marks: {}, problems: {}, note: '',
        photos: [], next_photo: 1, position: state.position,
      };
    }
    state.draft = draft;
    history.pushState({screen: 'form', village: code}, '', `#${code}`);
    show('form');
    renderForm();
  }

  function pointSteps(max) {
    if (Number.isInteger(max) && max <= 6) return Array.from({length: max + 1}, (_, i) => i);
    const nice = [0.5, 1, 2, 2.5, 5, 10, 20, 25, 50, 100];
    const step = nice.find((s) => s >= max / 5) || max / 5;
    const values = [];
    for (let v = 0; v < max - 1e-9; v += step) values.push(Math.round(v * 100) / 100);
    values.push(max);
    return values;
  }

  function renderForm() {
    const draft = state.draft;
    $('form-village').textContent = draft.village_name;
    $('form-started').textContent = fmt(T.started, {time: timeText(draft.started_at)});
    const village = state.boot.villages.find((v) => v.code === draft.village);
    const choices = village ? checklistsFor(village) : [];
    if (draft.checklist && !choices.some((c) => c.id === draft.checklist.id)) choices.unshift(draft.checklist);
    const select = $('checklist-select');
    select.replaceChildren(...choices.map((c) => el('option', {value: c.id, textContent: `${c.name} (v${c.version})`})));
    if (draft.checklist) select.value = String(draft.checklist.id);
    $('checklist-choice').hidden = choices.length < 2;
    $('form-no-checklist').hidden = Boolean(draft.checklist);
    $('form-no-checklist').textContent = T.no_checklist;
    $('form-note').value = draft.note;
    renderItems();
    renderPhotos();
    renderPosition();
    renderScore();
  }

  function renderItems() {
    const draft = state.draft;
    const container = $('items');
    container.replaceChildren();
    if (!draft.checklist) return;
    const template = $('tpl-item');
    let section = null;
    for (const item of draft.checklist.items) {
      const node = template.content.firstElementChild.cloneNode(true);
      node.dataset.item = item.id;
      node.querySelector('.section').textContent = item.section !== section ? item.section : '';
      node.querySelector('.section').hidden = item.section === section;
      section = item.section;
      node.querySelector('.text').textContent = item.text;
      node.querySelector('.max').textContent = ` ${number(item.max_points)} ${T.points}`;
      node.querySelector('.critical').hidden = !item.critical;
      const buttons = node.querySelector('.points');
      for (const value of pointSteps(item.max_points)) {
        buttons.append(el('button', {
          type: 'button', className: 'secondary outline', textContent: number(value),
          onclick: () => setMark(item, {points: value, na: false}),
        }, [], {points: number(value)}));
      }
      const input = node.querySelector('.points-input');
      input.max = item.max_points;
      input.addEventListener('input', () => {
        const value = input.value === '' ? null : Number(input.value);
        setMark(item, {points: value !== null && value >= 0 && value <= item.max_points ? value : null, na: false},
          true);
      });
      const na = node.querySelector('.na');
      na.hidden = !item.allow_na;
      na.addEventListener('click', () => setMark(item, {points: null, na: !(draft.marks[item.id] || {}).na}));
      const categories = node.querySelector('.problem-category');
      categories.replaceChildren(...state.boot.categories.map((c) => el('option', {value: c.code, textContent: c.name})));
      node.querySelector('.problem-toggle').addEventListener('click', () => {
        const problem = draft.problems[item.id] || {on: false, category: item.category || 'other', description: ''};
        problem.on = !problem.on;
        draft.problems[item.id] = problem;
        changed();
        renderItem(item);
      });
      categories.addEventListener('change', () => { draft.problems[item.id].category = categories.value; changed(); });
      const description = node.querySelector('.problem-description');
      description.addEventListener('input', () => { draft.problems[item.id].description = description.value; changed(); });
      node.querySelector('.problem-photos').addEventListener('change', (event) => {
        const checked = event.currentTarget.querySelectorAll('input[type=checkbox]:checked');
        draft.problems[item.id].photos = Array.from(checked, (box) => Number(box.value));
        changed();
      });
      container.append(node);
      renderItem(item);
    }
  }

  function renderItem(item) {
    const draft = state.draft;
    const node = $('items').querySelector(`[data-item="${item.id}"]`);
    const mark = draft.marks[item.id] || {points: null, na: false};
    node.querySelectorAll('.points button').forEach((button) => {
      button.setAttribute('aria-pressed', String(!mark.na && mark.points !== null
        && Number(button.dataset.points) === mark.points));
    });
    const input = node.querySelector('.points-input');
    if (document.activeElement !== input) input.value = mark.na || mark.points === null ? '' : number(mark.points);
    node.querySelector('.na').setAttribute('aria-pressed', String(Boolean(mark.na)));
    const lost = !mark.na && mark.points !== null && mark.points < item.max_points;
    const problem = draft.problems[item.id];
    const toggle = node.querySelector('.problem-toggle');
    toggle.hidden = !lost && !(problem && problem.on);
    toggle.setAttribute('aria-pressed', String(Boolean(problem && problem.on)));
    node.querySelector('.problem').hidden = !(problem && problem.on);
    if (problem) {
      node.querySelector('.problem-category').value = problem.category;
      node.querySelector('.problem-description').value = problem.description;
    }
    renderProblemPhotos(item);
    if (mark.na || mark.points !== null) node.classList.remove('unscored-alert');
  }

  // The photos that go with a flagged item's problem (their draft numbers n): the inspector's choice, else the
  // most recent photo, which is usually the one just taken of it.
  function problemPhotoNumbers(draft, problem) {
    const present = draft.photos.map((photo) => photo.n);
    if (Array.isArray(problem.photos)) return problem.photos.filter((n) => present.includes(n));
    return present.length ? [present[present.length - 1]] : [];
  }

  function renderProblemPhotos(item) {
    const draft = state.draft;
    const node = $('items').querySelector(`[data-item="${item.id}"]`);
    const problem = draft.problems[item.id];
    const box = node && node.querySelector('.problem-photos');
    if (!box) return;
    if (!problem || !problem.on) {
      box.replaceChildren();
      return;
    }
    if (!draft.photos.length) {
      box.replaceChildren(el('small', {className: 'muted', textContent: T.problem_no_photo}));
      return;
    }
    const chosen = problemPhotoNumbers(draft, problem);
    box.replaceChildren(...draft.photos.map((photo, index) => el('label', {}, [
      el('input', {type: 'checkbox', value: String(photo.n), checked: chosen.includes(photo.n)}),
      el('img', {src: thumbUrls.get(photo.n) || '', alt: ''}),
      fmt(T.use_photo, {n: index + 1}),
    ], {n: photo.n})));
  }

  function setMark(item, mark, typing) {
    state.draft.marks[item.id] = mark;
    if (!typing) {
      const input = $('items').querySelector(`[data-item="${item.id}"] .points-input`);
      if (document.activeElement === input) input.blur();
    }
    renderItem(item);
    renderScore();
    changed();
  }

  function scoreOf(checklist, marks) { // as dudao.inspections.scoring.score; the server's answer is the record
    let total = 0;
    let weights = 0;
    let failed = false;
    let unscored = 0;
    for (const item of checklist.items) {
      const mark = marks[item.id];
      if (!mark || (!mark.na && mark.points === null)) {
        unscored += 1;
        continue;
      }
      if (mark.na) continue;
      // The same rule as dudao.inspections.scoring: the weighted share of the points available.
      total += item.weight * mark.points;
      weights += item.weight * item.max_points;
      if (item.critical && mark.points < item.max_points / 2) failed = true;
    }
    let value = weights ? 100 * total / weights : 0;
    const capped = failed && value > checklist.critical_cap;
    if (capped) value = checklist.critical_cap;
    return {value: Math.round(value * 100) / 100, unscored, capped};
  }

  function renderScore() {
    const draft = state.draft;
    if (!draft || !draft.checklist) {
      $('running-score').textContent = '';
      $('running-unscored').textContent = '';
      return;
    }
    const scored = scoreOf(draft.checklist, draft.marks);
    const nothing = scored.unscored === draft.checklist.items.length;
    $('running-score').textContent = fmt(T.score, {score: nothing ? '–' : number(scored.value)});
    $('running-score').dataset.score = number(scored.value);
    $('running-unscored').textContent = scored.unscored ? fmt(T.unscored, {n: scored.unscored}) : '';
    $('running-unscored').title = scored.capped ? fmt(T.critical, {cap: number(draft.checklist.critical_cap)}) : '';
  }

  function positionWarnings(position, point) {
    const warnings = [];
    if (!position) return [T.no_position];
    if (position.accuracy > config.poor_accuracy_m) warnings.push(fmt(T.poor_accuracy, {m: config.poor_accuracy_m}));
    if (point && distanceM(position.lat, position.lon, point.lat, point.lon) > config.far_from_village_m) {
      warnings.push(fmt(T.far_from_village, {m: distanceText(config.far_from_village_m)}));
    }
    return warnings;
  }

  function renderPosition() {
    const draft = state.draft;
    if (!draft || state.screen !== 'form') return;
    const position = draft.position;
    const point = draft.village_point;
    let text = '';
    if (position) {
      const accuracy = Math.round(position.accuracy);
      text = point ? fmt(T.position, {accuracy, distance: distanceText(distanceM(position.lat, position.lon,
        point.lat, point.lon))}) : fmt(T.position_no_village, {accuracy});
    }
    $('form-gps').textContent = text;
    const warnings = positionWarnings(position, point);
    if (Math.abs(state.clockOffset) > 120000) {
      warnings.push(fmt(T.clock_off, {minutes: Math.round(state.clockOffset / 60000)}));
    }
    $('form-warnings').replaceChildren(...warnings.map((w) => el('li', {textContent: w})));
  }

  const thumbUrls = new Map();

  async function renderPhotos() {
    const draft = state.draft;
    const blobs = await Promise.all(draft.photos.map((photo) => idb.get('photos', photoKey(draft.key, photo.n))));
    if (state.draft !== draft) return;
    for (const url of thumbUrls.values()) URL.revokeObjectURL(url);
    thumbUrls.clear();
    $('photo-list').replaceChildren(...draft.photos.map((photo, index) => {
      const url = blobs[index] ? URL.createObjectURL(blobs[index]) : '';
      thumbUrls.set(photo.n, url);
      const remove = el('button', {type: 'button', className: 'secondary', textContent: '×', title: T.delete_photo,
        onclick: () => removePhoto(photo.n)});
      remove.setAttribute('aria-label', T.delete_photo);
      return el('li', {}, [el('img', {src: url, alt: photo.name || ''}), remove], {n: photo.n});
    }));
    $('photo-none').textContent = draft.photos.length ? '' : T.photos_none;
    if (draft.checklist) draft.checklist.items.forEach(renderProblemPhotos); // their thumbnails are new too
  }

  // A photo's number, never used before in this draft: its upload key `${key}-p${n}` must not name two different
  // photos (the server answers a known key with the photo it stored first), so removing the last photo does not
  // free its number. Drafts from before the counter start after their highest number.
  function takePhotoNumber(draft) {
    const highest = draft.photos.reduce((max, p) => Math.max(max, p.n), 0);
    const n = Math.max(draft.next_photo || 1, highest + 1);
    draft.next_photo = n + 1;
    return n;
  }

  async function addPhotos(files) {
    const draft = state.draft;
    $('photo-none').textContent = T.photo_preparing;
    for (const file of files) {
      // The time and position at capture travel with the photo: the shrunk copy has no EXIF to carry them.
      const position = state.position || draft.position;
      const takenAt = new Date((file.lastModified || Date.now()) + state.clockOffset).toISOString();
      // Without a position reading the photo's own EXIF GPS may be the only position it has: keep the original.
      const blob = position ? await shrinkPhoto(file) : file;
      const n = takePhotoNumber(draft);
      await idb.put('photos', blob, photoKey(draft.key, n));
      draft.photos.push({
        n, size: blob.size, name: blob.name || file.name, type: blob.type, taken_at: takenAt,
        lat: position ? position.lat : null, lon: position ? position.lon : null,
        accuracy_m: position ? position.accuracy : null,
      });
    }
    renderPhotos();
    changed();
  }

  async function removePhoto(n) {
    await idb.del('photos', photoKey(state.draft.key, n));
    state.draft.photos = state.draft.photos.filter((p) => p.n !== n);
    renderPhotos();
    changed();
  }

  function changed() {
    state.draft.dirty = true;
    scheduleSave();
  }

  function scheduleSave() { // the camera app may push the browser out of memory: keep every change
    if (!state.draft || !state.draft.dirty) return;
    clearTimeout(state.saveTimer);
    state.saveTimer = setTimeout(() => saveDraft(), 400);
  }

  async function saveDraft() {
    clearTimeout(state.saveTimer);
    const draft = state.draft;
    if (!draft) return;
    draft.updated_at = now().toISOString();
    const copy = Object.assign({}, draft);
    delete copy.dirty;
    await idb.put('drafts', copy);
  }

  // --- submitting: into the outbox, then send ---------------------------------------------------------------------

  async function submit() {
    const draft = state.draft;
    if (!draft || !draft.checklist) return;
    const scored = scoreOf(draft.checklist, draft.marks);
    if (scored.unscored) {
      const first = draft.checklist.items.find((item) => {
        const mark = draft.marks[item.id];
        return !mark || (!mark.na && mark.points === null);
      });
      for (const node of $('items').children) {
        const mark = draft.marks[node.dataset.item];
        node.classList.toggle('unscored-alert', !mark || (!mark.na && mark.points === null));
      }
      const node = $('items').querySelector(`[data-item="${first.id}"]`);
      node.scrollIntoView({block: 'center', behavior: 'smooth'});
      message(fmt(T.unscored, {n: scored.unscored}), 'error');
      return;
    }
    const position = draft.position || state.position;
    // The inspection happened when the scoring was finished, not when the draft was begun (maybe days before).
    const finished = now().toISOString();
    const problems = draft.checklist.items.filter((item) => draft.problems[item.id] && draft.problems[item.id].on)
      .map((item) => ({
        item: item.id, category: draft.problems[item.id].category,
        description: draft.problems[item.id].description.trim(), photos: [], client_key: `${draft.key}-q${item.id}`,
        photo_ns: problemPhotoNumbers(draft, draft.problems[item.id]), // made ids once the photos are uploaded
      }));
    const record = {
      key: draft.key, username: draft.username, village_name: draft.village_name, state: 'waiting', detail: '',
      queued_at: finished, draft: Object.assign({}, draft, {photos: []}),
      inspection: {
        client_key: draft.key, village: draft.village, checklist: draft.checklist.id,
        marks: draft.checklist.items.map((item) => {
          const mark = draft.marks[item.id];
          return {item: item.id, points: mark.na ? null : mark.points, not_applicable: Boolean(mark.na), note: ''};
        }),
        inspected_at: finished, lat: position ? position.lat : null, lon: position ? position.lon : null,
        accuracy_m: position ? position.accuracy : null, note: draft.note.trim(), photos: [], problems,
      },
      photos: draft.photos.map((photo) => ({
        n: photo.n, client_key: photoKey(draft.key, photo.n), size: photo.size, name: photo.name || `photo-${photo.n}.jpg`,
        taken_at: photo.taken_at, lat: photo.lat !== null ? photo.lat : (position ? position.lat : null),
        lon: photo.lon !== null ? photo.lon : (position ? position.lon : null),
        accuracy_m: photo.accuracy_m !== null ? photo.accuracy_m : (position ? position.accuracy : null), id: null,
      })),
    };
    delete record.draft.dirty;
    clearTimeout(state.saveTimer);
    await idb.put('outbox', record);
    await idb.del('drafts', draft.key);
    state.draft = null;
    state.lastResultKey = record.key;
    message('');
    history.replaceState({screen: 'result'}, '', '#sent');
    show('result');
    $('result-village').textContent = record.village_name;
    $('result').className = 'result queued';
    $('result-text').textContent = T.queued;
    $('result-warnings').replaceChildren();
    $('result-problems').replaceChildren();
    await renderStatus();
    sendAll();
  }

  // The server refuses (409) an item sent with another user's session. A header holds only Latin-1 and a
  // username may be Chinese: such a name goes percent-encoded (a username never contains "%", so the server can
  // always decode the header), a plain ASCII one as it is.
  function ownerHeader(owner) {
    return /^[\x21-\x7e]*$/.test(owner) ? owner : encodeURIComponent(owner);
  }

  // One request on behalf of an outbox item's owner, with the owner's device token when the phone has one:
  // {status, data}, status 0 when no answer came. A refused token is forgotten (the owner must sign in again).
  async function request(method, url, body, owner, onProgress) {
    const token = await deviceToken(owner);
    const answer = await send(method, url, body, owner, token, onProgress);
    if (answer.status !== 401 || !token) return answer;
    // Revoked (on the account page, or by signing out on this phone): forget it and try the session, whose
    // rules apply as before (409 when someone else is signed in now, 401 when nobody is).
    await keepDevice(owner, null);
    if (owner === config.username) delete $('field').dataset.device;
    return send(method, url, body, owner, null, onProgress);
  }

  function send(method, url, body, owner, token, onProgress) {
    return new Promise((resolve) => {
      const xhr = new XMLHttpRequest();
      let timer = null;
      const arm = () => {
        clearTimeout(timer);
        timer = setTimeout(() => xhr.abort(), STALL_MS);
      };
      xhr.open(method, url);
      xhr.setRequestHeader('Accept', 'application/json');
      xhr.setRequestHeader('X-CSRFToken', csrfToken());
      xhr.setRequestHeader('X-Dudao-User', ownerHeader(owner));
      if (token) xhr.setRequestHeader('Authorization', `Bearer ${token}`);
      if (typeof body === 'string') xhr.setRequestHeader('Content-Type', 'application/json');
      xhr.upload.onprogress = (event) => {
        arm();
        if (onProgress && event.lengthComputable) onProgress(event.loaded, event.total);
      };
      xhr.onload = () => {
        clearTimeout(timer);
        let data = null;
        try {
          data = JSON.parse(xhr.responseText);
        } catch (error) {
          data = null;
        }
        resolve({status: xhr.status, data});
      };
      xhr.onerror = xhr.onabort = xhr.ontimeout = () => {
        clearTimeout(timer);
        resolve({status: 0, data: null});
      };
      arm();
      xhr.send(body);
    });
  }

  function detailOf(answer) {
    if (answer.data && typeof answer.data.detail === 'string') return answer.data.detail;
    return `HTTP ${answer.status}`;
  }

  // What to do with an answer that is not a success: 'retry' later, 'auth' (signed out), or 'failed' for good.
  function verdict(answer) {
    if (answer.status === 0) return 'retry';
    if (answer.status === 401) return 'auth';
    if (answer.status >= 500 || answer.status === 429 || answer.status === 408) return 'retry';
    return 'failed';
  }

  async function sendOne(record) {
    const total = record.photos.reduce((sum, p) => sum + (p.id === null ? p.size : 0), 0) || 1;
    let done = 0;
    for (const [index, photo] of record.photos.entries()) {
      if (photo.id !== null) continue;
      const blob = await idb.get('photos', photo.client_key);
      if (!blob) return {status: -1, data: {detail: T.photo_missing}}; // refused here: nothing to send
      const form = new FormData();
      form.append('file', blob, photo.name);
      form.append('village', record.inspection.village);
      form.append('client_key', photo.client_key);
      for (const field of ['lat', 'lon', 'accuracy_m', 'taken_at']) {
        if (photo[field] !== null && photo[field] !== undefined) form.append(field, photo[field]);
      }
      const label = fmt(T.upload_photo, {n: index + 1, total: record.photos.length});
      setProgress(record.key, photo.n, 0, done / total, label);
      const answer = await request('POST', config.photos, form, record.username, (loaded, size) => {
        setProgress(record.key, photo.n, loaded / size, (done + photo.size * loaded / size) / total, label);
      });
      if (answer.status !== 200 && answer.status !== 201) return answer;
      done += photo.size;
      photo.id = answer.data.id;
      setProgress(record.key, photo.n, 1, done / total, label);
      await idb.put('outbox', record); // a retry need not send this photo again
    }
    setProgress(record.key, null, null, 1, T.upload_report);
    const idOf = new Map(record.photos.map((p) => [p.n, p.id]));
    const problems = record.inspection.problems.map(({photo_ns: numbers, ...problem}) => Object.assign(problem, {
      photos: (numbers || []).map((n) => idOf.get(n)).filter((id) => id !== null && id !== undefined),
    }));
    const payload = Object.assign({}, record.inspection, {photos: record.photos.map((p) => p.id), problems});
    return request('POST', config.inspections, JSON.stringify(payload), record.username);
  }

  async function sendAll() {
    if (!mayDrain() && await confirmUser() !== config.username) { // not known yet, or someone else
      renderStatus();
      return;
    }
    if (state.sending) {
      state.again = true; // queued while a round was running: the running round takes it too
      return;
    }
    if (navigator.locks) { // two open tabs must not send the same outbox at once
      await navigator.locks.request('dudao-field-outbox', {ifAvailable: true}, (lock) => (lock ? drain() : null));
    } else {
      await drain();
    }
  }

  async function drain() {
    state.sending = true;
    renderStatus();
    try {
      // Another round while something asked for one during this one: a new item, or the signal came back while
      // this round's request was failing (the "online" event would otherwise be lost until the next retry).
      do {
        state.again = false;
        await drainOnce();
      } while (state.again);
    } finally {
      state.sending = false;
      state.progress = null;
      await renderStatus();
    }
  }

  // One pass over the outbox; it stops when the connection or the session failed (the rest waits for a retry).
  async function drainOnce() {
    if (!mayDrain()) return;
    const owner = state.serverUser;
    const records = (await idb.all('outbox')).filter((r) => r.state !== 'failed' && r.username === owner);
    records.sort((a, b) => (a.queued_at < b.queued_at ? -1 : 1));
    for (const record of records) {
      const answer = await sendOne(record);
      if (answer.status === 200 || answer.status === 201) {
        state.offline = false;
        state.authProblem = false;
        await delivered(record, answer);
        continue;
      }
      if (answer.status === 409 && await signedInNow() !== record.username) {
        // The session changed since the server was last asked (signed out, maybe in as someone else): the item
        // waits for its owner. confirmUser has reloaded the page when it now belongs to another user.
        const unknown = state.serverUser === null && !state.authProblem; // no answer: not known who it is
        record.detail = unknown ? T.network_error : fmt(T.sign_in_as, {user: record.username});
        await idb.put('outbox', record);
        return;
      }
      const outcome = verdict(answer);
      if (outcome === 'failed') {
        record.state = 'failed';
        record.detail = detailOf(answer);
        await idb.put('outbox', record);
        continue;
      }
      record.detail = answer.status === 0 ? T.network_error : answer.status === 401 ? T.sign_in_again
        : fmt(T.server_error, {status: answer.status});
      await idb.put('outbox', record);
      state.offline = answer.status === 0;
      state.authProblem = outcome === 'auth';
      if (state.authProblem) state.serverUser = null; // whoever signs in next is asked for before sending
      return;
    }
  }

  // A 409 is either the server's "another user is signed in" or a real conflict (a key used for other content):
  // ask again who is signed in to tell them apart.
  async function signedInNow() {
    state.serverUser = null;
    return confirmUser();
  }

  async function delivered(record, answer) {
    const data = answer.data;
    const sent = ((await idb.get('meta', 'sent')) || []).filter((s) => s.key !== record.key);
    sent.unshift({
      key: record.key, username: record.username, village_name: record.village_name, score: data.score,
      week: data.week, inspected_at: data.inspected_at, warning_texts: data.warning_texts, created: data.created,
    });
    await idb.put('meta', sent.slice(0, SENT_KEPT), 'sent');
    await idb.del('outbox', record.key);
    await deletePhotos(record.key, record.photos);
    if (state.lastResultKey === record.key && state.screen === 'result') {
      $('result').className = 'result';
      $('result-text').textContent = fmt(T.sent, {score: number(data.score), week: data.week})
        + (data.created ? '' : ` ${T.duplicate}`);
      $('result-text').dataset.score = number(data.score);
      $('result-warnings').replaceChildren(...data.warning_texts.map((w) => el('li', {textContent: w})));
      $('result-problems').replaceChildren(...(data.problems_reported || []).map((p) => el('li', {}, [
        el('a', {href: p.url, textContent: fmt(T.problem_reported, {number: p.number, category: p.category_name})}),
      ])));
    }
  }

  function setProgress(key, photo, fraction, overall, label) {
    state.progress = {key, photo, fraction, overall, label};
    $('progress').hidden = false;
    $('progress-overall').value = overall;
    $('progress-label').textContent = label;
    if (photo !== null) {
      const bar = document.querySelector(`#outbox-list [data-key="${key}"] progress[data-n="${photo}"]`);
      if (bar) bar.value = fraction;
    }
  }

  // --- the outbox list and the status line ---------------------------------------------------------------------

  async function renderStatus() {
    const everyone = await idb.all('outbox');
    const records = everyone.filter((r) => r.username === config.username);
    const others = everyone.filter((r) => r.username !== config.username);
    const waiting = records.filter((r) => r.state !== 'failed').length;
    const failed = records.length - waiting;
    const status = $('field-status');
    status.dataset.waiting = waiting;
    status.dataset.failed = failed;
    status.dataset.sending = String(state.sending);
    status.dataset.others = others.length;
    const parts = [];
    if (state.sending && waiting) parts.push(T.sending);
    else if (waiting) parts.push(fmt(T.waiting, {n: waiting}));
    if (failed) parts.push(fmt(T.failed, {n: failed}));
    if (!waiting && !failed) parts.push(T.all_sent);
    if (waiting && state.offline) parts.push(T.offline);
    status.textContent = parts.join(' · ');
    status.className = failed ? 'status-failed' : waiting ? 'status-waiting' : 'status-sent';
    $('sign-in-again').hidden = !state.authProblem;
    $('progress').hidden = !state.progress;
    if (state.screen === 'home') {
      renderOutbox(records, others);
      renderSent();
    }
  }

  // Other users' items (a shared phone) are listed too, so that nobody wonders where they went; they wait for
  // their owner to sign in here, and only the owner may edit or delete them.
  function otherEntry(record) {
    const node = $('tpl-outbox').content.firstElementChild.cloneNode(true);
    node.dataset.key = record.key;
    node.dataset.state = record.state;
    node.dataset.owner = record.username;
    node.querySelector('.village').textContent = record.village_name;
    node.querySelector('.when').textContent = timeText(record.inspection.inspected_at);
    node.querySelector('.state').textContent = fmt(T.sign_in_as, {user: record.username});
    node.querySelector('.state').classList.add('status-waiting');
    return node;
  }

  function renderOutbox(records, others) {
    const byQueued = (a, b) => (a.queued_at < b.queued_at ? -1 : 1);
    records.sort(byQueued);
    others.sort(byQueued);
    $('outbox').hidden = !records.length && !others.length;
    const template = $('tpl-outbox');
    $('outbox-list').replaceChildren(...records.map((record) => {
      const node = template.content.firstElementChild.cloneNode(true);
      node.dataset.key = record.key;
      node.dataset.state = record.state;
      node.dataset.owner = record.username;
      node.querySelector('.village').textContent = record.village_name;
      node.querySelector('.when').textContent = timeText(record.inspection.inspected_at);
      const stateText = record.detail || T.queued;
      node.querySelector('.state').textContent = stateText;
      node.querySelector('.state').classList.add(record.state === 'failed' ? 'status-failed' : 'status-waiting');
      node.querySelector('.photos').replaceChildren(...record.photos.map((photo) => el('progress', {
        max: 1, value: photo.id === null ? 0 : 1,
      }, [], {n: photo.n})));
      node.querySelector('.actions').hidden = record.state !== 'failed';
      node.querySelector('.delete').addEventListener('click', async () => {
        if (!window.confirm(T.delete_confirm)) return;
        await idb.del('outbox', record.key);
        await deletePhotos(record.key, record.photos);
        renderStatus();
      });
      node.querySelector('.edit').addEventListener('click', async () => { // back to a draft, same key
        const photos = record.photos.map((p) => ({n: p.n, size: p.size, name: p.name, taken_at: p.taken_at,
          lat: p.lat, lon: p.lon, accuracy_m: p.accuracy_m}));
        await idb.put('drafts', Object.assign({}, record.draft, {photos, updated_at: now().toISOString()}));
        await idb.del('outbox', record.key);
        await renderStatus();
        openVillage(record.inspection.village);
      });
      return node;
    }), ...others.map(otherEntry));
  }

  // --- screens ------------------------------------------------------------------------------------------------

  function show(screen) {
    state.screen = screen;
    $('field').dataset.screen = screen;
    $('screen-home').hidden = screen !== 'home';
    $('screen-form').hidden = screen !== 'form';
    $('screen-result').hidden = screen !== 'result';
    $('form-actions').hidden = screen !== 'form';
    window.scrollTo(0, 0);
    if (screen === 'home') {
      renderVillages();
      renderDrafts();
      renderStatus();
    }
  }

  async function leaveForm() {
    message('');
    if (state.draft && state.draft.dirty) {
      await saveDraft();
      message(T.draft_saved, 'success');
    }
    state.draft = null;
    show('home');
  }

  function route() {
    const code = location.hash.slice(1);
    if (state.boot && /^\d{12}$/.test(code)) {
      history.replaceState({screen: 'home'}, '', location.pathname);
      openVillage(code);
    } else {
      history.replaceState({screen: 'home'}, '', location.pathname);
      show('home');
    }
  }

  function bind() {
    $('village-search').addEventListener('input', renderVillages);
    $('photo-input').addEventListener('change', async (event) => {
      const files = Array.from(event.target.files);
      event.target.value = '';
      await addPhotos(files);
    });
    $('form-note').addEventListener('input', (event) => {
      state.draft.note = event.target.value;
      changed();
    });
    $('checklist-select').addEventListener('change', (event) => {
      const chosen = state.boot.checklists.find((c) => String(c.id) === event.target.value);
      if (!chosen) return;
      state.draft.checklist = chosen;
      state.draft.marks = {};
      state.draft.problems = {};
      changed();
      renderForm();
    });
    $('save-draft').addEventListener('click', () => {
      state.draft.dirty = true;
      history.back();
    });
    $('form-back').addEventListener('click', () => history.back());
    $('submit').addEventListener('click', submit);
    $('discard-draft').addEventListener('click', async () => {
      if (!window.confirm(T.discard_confirm)) return;
      clearTimeout(state.saveTimer);
      await idb.del('drafts', state.draft.key);
      await deletePhotos(state.draft.key, state.draft.photos);
      state.draft = null;
      history.back();
    });
    $('result-home').addEventListener('click', () => {
      history.replaceState({screen: 'home'}, '', location.pathname);
      message('');
      show('home');
    });
    window.addEventListener('popstate', () => {
      if (state.screen === 'form') leaveForm();
      else route();
    });
    window.addEventListener('online', () => {
      state.offline = false;
      sendAll();
    });
    window.addEventListener('offline', () => {
      state.offline = true;
      renderStatus();
    });
    document.addEventListener('visibilitychange', () => {
      if (document.visibilityState === 'hidden') {
        if (state.draft && state.draft.dirty) saveDraft();
        stopWatching();
      } else {
        watchPosition();
        sendAll();
      }
    });
    setInterval(sendAll, RETRY_MS);
  }

  function install() {
    if (navigator.storage && navigator.storage.persist) {
      navigator.storage.persist().catch(() => {}); // ask the browser not to evict unsent inspections
    }
    if ('serviceWorker' in navigator) {
      navigator.serviceWorker.register(config.sw, {scope: config.scope}).catch(() => {
        // Without a service worker (plain HTTP on an intranet) the app still queues; it only cannot open offline.
      });
    }
  }

  async function start() {
    install();
    bind();
    watchPosition();
    const device = (await idb.get('meta', 'devices') || {})[config.username];
    if (device) $('field').dataset.device = String(device.id);
    await loadBootstrap();
    sendAll();
  }

  start();
}());
