/* Photo uploads from phones on slow links, shared by the field app and the problem pages.
 *
 * dudaoUpload.shrinkPhoto(file): a camera's full-size file (3–8 MB) takes minutes on a weak signal, yet the server
 * keeps at most 1600 px. So the phone decodes the photo (turned upright by its EXIF orientation), draws it at
 * ≤ 2000 px on the long edge and sends that as a JPEG of a few hundred kB. The new JPEG carries no EXIF: callers
 * send the capture time and the phone's position along with it. What the browser cannot decode (HEIC on most
 * browsers, or not an image at all) goes unchanged, and the server decides.
 *
 * Forms marked data-upload (the problem pages' report and rectify forms) are sent by XMLHttpRequest so that a
 * progress bar shows how far the upload got; the server's answer then replaces the page, as after a normal
 * submit. Without JavaScript the forms post as usual. The sentences shown come translated from the form's
 * [data-upload-progress] element.
 */
(function () {
  'use strict';

  const MAX_EDGE = 2000; // px on the long edge: some margin over the 1600 the server keeps
  const QUALITY = 0.85;

  function jpegName(name) {
    const stem = (name || 'photo').replace(/\.[^./]*$/, '');
    return `${stem}.jpg`;
  }

  function canvasJpeg(canvas) {
    return new Promise((resolve) => canvas.toBlob(resolve, 'image/jpeg', QUALITY));
  }

  async function decode(file) {
    if (typeof createImageBitmap !== 'function') return null;
    try {
      return await createImageBitmap(file, {imageOrientation: 'from-image'});
    } catch (error) {
      return null;
    }
  }

  // The photo at ≤ MAX_EDGE px as a JPEG File (same lastModified), or the file itself when it cannot be decoded,
  // is small enough already (the original then keeps its EXIF), or would not get any smaller.
  async function shrinkPhoto(file) {
    const bitmap = await decode(file);
    if (!bitmap) return file;
    try {
      const scale = MAX_EDGE / Math.max(bitmap.width, bitmap.height);
      if (scale >= 1) return file;
      const canvas = document.createElement('canvas');
      canvas.width = Math.max(1, Math.round(bitmap.width * scale));
      canvas.height = Math.max(1, Math.round(bitmap.height * scale));
      const context = canvas.getContext('2d');
      context.imageSmoothingQuality = 'high';
      context.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      const blob = await canvasJpeg(canvas);
      canvas.width = 0; // let the phone have the pixel memory back now, not at the next garbage collection
      canvas.height = 0;
      if (!blob || blob.size >= file.size) return file;
      return new File([blob], jpegName(file.name), {type: 'image/jpeg', lastModified: file.lastModified || Date.now()});
    } finally {
      bitmap.close();
    }
  }

  // --- forms marked data-upload ---------------------------------------------------------------------------------

  function fmt(text, params) {
    return (text || '').replace(/%\((\w+)\)s/g, (match, name) => (name in params ? String(params[name]) : match));
  }

  function megabytes(bytes) {
    return (bytes / 1048576).toFixed(1);
  }

  function progressBox(form) {
    const box = form.querySelector('[data-upload-progress]');
    const bar = box && box.querySelector('progress');
    const text = box && box.querySelector('[data-upload-text]');
    const say = (key, params, value) => {
      if (!box) return;
      box.hidden = false;
      text.textContent = fmt(box.dataset[key], params || {});
      if (value === undefined) bar.removeAttribute('value'); // an indeterminate bar: nothing to measure
      else bar.value = value;
    };
    return {
      preparing: () => say('preparing'),
      sending: (loaded, total) => say('sending', {sent: megabytes(loaded), total: megabytes(total)}, loaded / total),
      waiting: () => say('waiting'),
      failed: () => say('failed', {}, 0),
    };
  }

  // Without a position from the phone (location off, or a plain-HTTP intranet where browsers give none) the
  // photo's own EXIF GPS may be the only position it has: then the original is sent, not a shrunk copy without it.
  function hasPosition(form) {
    const lat = form.querySelector('input[name=lat]');
    const lon = form.querySelector('input[name=lon]');
    return Boolean(lat && lon && lat.value.trim() && lon.value.trim());
  }

  async function formData(form, submitter) {
    const data = submitter ? new FormData(form, submitter) : new FormData(form);
    if (!hasPosition(form)) return data;
    for (const input of form.querySelectorAll('input[type=file][name]')) {
      const files = Array.from(input.files || []);
      if (!files.length) continue;
      data.delete(input.name);
      for (const file of files) {
        const photo = await shrinkPhoto(file);
        data.append(input.name, photo, photo.name);
      }
    }
    return data;
  }

  function post(form, data, progress) {
    return new Promise((resolve) => {
      const xhr = new XMLHttpRequest();
      xhr.open('POST', form.action);
      xhr.upload.onprogress = (event) => {
        if (event.lengthComputable) progress.sending(event.loaded, event.total);
      };
      xhr.upload.onload = () => progress.waiting(); // all sent: the server stores and checks the photos now
      xhr.onload = () => resolve(xhr);
      xhr.onerror = xhr.onabort = xhr.ontimeout = () => resolve(null);
      xhr.send(data);
    });
  }

  // Show the server's answer as if the browser had submitted the form itself. The redirect after a success was
  // already followed (XHR follows redirects), and that GET used up the page's one-time message ("Problem …
  // reported"), so the answer is written into this page rather than loaded again. The address bar takes the final
  // URL, as after a normal submit: replaced (Back must not lead to a URL whose page is no longer shown), and also
  // when it is the same URL, so that the history records the step like any navigation.
  function showAnswer(xhr) {
    try {
      history.replaceState(null, '', xhr.responseURL || location.href);
    } catch (error) {
      location.href = xhr.responseURL; // another origin (a proxy's sign-in page): load it instead
      return;
    }
    document.open();
    document.write(xhr.responseText);
    document.close();
    window.scrollTo(0, 0);
  }

  async function upload(form, submitter) {
    const buttons = form.querySelectorAll('button[type=submit], input[type=submit]');
    const progress = progressBox(form);
    form.dataset.sending = 'true';
    buttons.forEach((button) => { button.disabled = true; });
    progress.preparing();
    let data;
    try {
      data = await formData(form, submitter);
    } catch (error) { // something unforeseen while shrinking: send what was chosen, unchanged
      data = new FormData(form);
    }
    const answer = await post(form, data, progress);
    if (answer) {
      showAnswer(answer);
      return;
    }
    // No answer (the signal dropped): the form and the chosen photos are still here to send again.
    progress.failed();
    delete form.dataset.sending;
    buttons.forEach((button) => { button.disabled = false; });
  }

  document.addEventListener('submit', (event) => {
    const form = event.target;
    // defaultPrevented: the script may run twice in one window after a page was written in (see showAnswer).
    if (!(form instanceof HTMLFormElement) || !form.hasAttribute('data-upload') || event.defaultPrevented) return;
    event.preventDefault();
    if (form.dataset.sending) return; // a second tap while the first upload runs
    upload(form, event.submitter);
  });

  window.dudaoUpload = {shrinkPhoto};
}());
