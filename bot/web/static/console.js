// Quita agent console: live refresh over WebSocket, new-escalation alerts, canned responses.
// No inline script (CSP). Server-rendered fragments are already escaped by Jinja; debtor text
// is never interpreted as HTML here. Words shown to the agent come from the page (data-
// attributes rendered from the console catalog in the agent's language).
"use strict";
(function () {
  const main = document.querySelector("main.inbox");
  const queueBox = document.getElementById("queue");
  const transcriptBox = document.getElementById("transcript");
  const current = main ? main.dataset.conversation : undefined;
  const ding = new Audio("/static/console-ding.wav");
  const words = document.body.dataset;
  const title = document.title;
  let known = escalationIds(document);
  let retry = 500;

  function escalationIds(root) {
    return new Set(Array.from(root.querySelectorAll("[data-escalation]"), (el) => el.dataset.escalation));
  }

  async function fragment(url) {
    const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "text/html" } });
    if (response.status === 401) { window.location.assign("/console/login"); return null; }
    if (!response.ok) return null;
    return new DOMParser().parseFromString(await response.text(), "text/html").body;
  }

  function alertNew(count) {
    ding.play().catch(() => {});
    if ("Notification" in window && Notification.permission === "granted") {
      const body = count === 1 ? words.alertOne : (words.alertMany || "").replace("{count}", String(count));
      new Notification("Quita", { body: body });
    }
    document.title = "(" + count + ") " + title;
  }

  async function refreshQueue() {
    if (!queueBox) return;
    const body = await fragment("/console/fragment/queue");
    if (!body) return;
    const ids = escalationIds(body);
    const fresh = Array.from(ids).filter((id) => !known.has(id));
    known = ids;
    queueBox.replaceChildren(...body.childNodes);
    if (fresh.length) alertNew(fresh.length);
  }

  async function refreshTranscript() {
    if (!transcriptBox || !current) return;
    const body = await fragment("/console/fragment/c/" + current);
    if (!body) return;
    transcriptBox.replaceChildren(...body.childNodes);
    transcriptBox.scrollTop = transcriptBox.scrollHeight;
  }

  function connect() {
    const scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    const socket = new WebSocket(scheme + window.location.host + "/console/ws");
    socket.addEventListener("open", () => { retry = 500; document.body.dataset.live = "1"; });
    socket.addEventListener("message", (event) => {
      const data = JSON.parse(event.data);
      if (data.type !== "changed") return;
      refreshQueue();
      if (String(data.conversation) === current) refreshTranscript();
    });
    socket.addEventListener("close", () => {
      document.body.dataset.live = "0";
      setTimeout(connect, retry);
      retry = Math.min(retry * 2, 10000);
    });
  }

  const canned = document.getElementById("canned");
  const replyText = document.getElementById("reply-text");
  if (canned && replyText) {
    canned.addEventListener("change", () => {
      if (canned.value) { replyText.value = canned.value; replyText.focus(); }
      canned.value = "";
    });
  }

  const enable = document.getElementById("enable-alerts");
  if (enable && "Notification" in window && Notification.permission === "default") {
    enable.hidden = false;
    enable.addEventListener("click", () => {
      Notification.requestPermission().then(() => { enable.hidden = true; });
      ding.play().catch(() => {});
    });
  }

  if (transcriptBox) transcriptBox.scrollTop = transcriptBox.scrollHeight;
  if (main) connect();
})();
