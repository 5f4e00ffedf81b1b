/* The template page while an uploaded template is being tried by the worker (decision 0022): ask where the trial
 * stands every two seconds and show the page again once it is done. Without JavaScript the page says to reload. */
(function () {
  'use strict';

  const status = document.getElementById('template-trial');
  if (!status || status.dataset.state !== 'checking') return;
  const POLL_MS = 2000;

  async function poll() {
    try {
      const response = await fetch(status.dataset.poll, {credentials: 'same-origin', headers: {Accept: 'application/json'}});
      if (response.ok && (await response.json()).state !== 'checking') {
        location.replace(location.pathname);
        return;
      }
    } catch (error) {
      // A lost answer: ask again.
    }
    setTimeout(poll, POLL_MS);
  }

  setTimeout(poll, POLL_MS);
}());
