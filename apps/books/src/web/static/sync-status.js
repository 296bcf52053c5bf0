// Progressive enhancement of the sync progress page: poll the JSON status and update the bars in place.
// Without JavaScript the page refreshes itself (meta refresh) and shows the same thing.
(() => {
  const root = document.querySelector("[data-sync-status]");
  if (!root) return;
  const url = root.getAttribute("data-sync-status");
  const refresh = document.querySelector('meta[http-equiv="refresh"]');
  if (refresh) refresh.remove();
  const tick = async () => {
    let body;
    try {
      const response = await fetch(url, {
        headers: { accept: "application/json" },
        credentials: "same-origin",
      });
      if (!response.ok) throw new Error(String(response.status));
      body = await response.json();
    } catch {
      setTimeout(tick, 3000);
      return;
    }
    for (const job of body.jobs) {
      const row = root.querySelector(`[data-job="${job.id}"]`);
      if (!row) continue;
      const bar = row.querySelector("progress");
      if (bar) bar.value = job.progress;
      const label = row.querySelector("[data-label]");
      if (label) label.textContent = job.label;
    }
    if (body.done) window.location.reload();
    else setTimeout(tick, 1000);
  };
  setTimeout(tick, 1000);
})();
