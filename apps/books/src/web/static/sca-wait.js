// Progressive enhancement of the "approve in your banking app" page: ask for the state as JSON every two
// seconds and move on as soon as the bank has an answer. Without JavaScript the page refreshes itself
// (meta refresh) and has a "Check again" button, and shows the same thing.
(() => {
  const root = document.querySelector("[data-sca-wait]");
  if (!root) return;
  const url = root.getAttribute("data-sca-wait");
  const refresh = document.querySelector('meta[http-equiv="refresh"]');
  if (refresh) refresh.remove();
  const bar = root.querySelector("progress");
  const message = root.querySelector("[data-psu-message]");
  const messageText = root.querySelector("[data-psu-message-text]");
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
      setTimeout(tick, 5000);
      return;
    }
    if (body.state !== "waiting") {
      window.location.assign(body.next);
      return;
    }
    if (bar && typeof body.secondsLeft === "number") bar.value = body.secondsLeft * 1000;
    // The bank's own text: set as text, never as markup.
    if (message && messageText) {
      const text = typeof body.psuMessage === "string" ? body.psuMessage : "";
      if (messageText.textContent !== text) messageText.textContent = text;
      message.hidden = text === "";
    }
    setTimeout(tick, 2000);
  };
  setTimeout(tick, 2000);
})();
