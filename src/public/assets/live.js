/*
 * The public page's only script: the count follows the JSON every 15 seconds while the page is shown (the
 * page works without it). Quietly, without a live region: a count ticking up is not worth interrupting a
 * screen reader for.
 */
(() => {
  const count = document.getElementById('count');
  const url = count?.dataset.json;
  if (!url) return;
  setInterval(async () => {
    if (document.hidden) return;
    try {
      const response = await fetch(url, { cache: 'no-store' });
      if (!response.ok) return;
      const action = await response.json();
      count.textContent = Number(action.signatureCount).toLocaleString('en-GB');
    } catch {
      // The next tick tries again.
    }
  }, 15000);
})();
