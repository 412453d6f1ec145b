// The page's entry point: switches between the chat, dashboard and bench views by the
// URL's hash, keeps the live WebSocket (/api/live) open (reconnecting with back-off)
// and hands each event to the views.
"use strict";

(() => {
  const { $ } = UI;
  const VIEWS = ["chat", "dashboard", "bench"];
  let lastSeq = 0;

  function route() {
    const view = VIEWS.includes(location.hash.slice(1)) ? location.hash.slice(1) : "chat";
    for (const v of VIEWS) {
      $(`#view-${v}`).hidden = v !== view;
      $(`#nav-${v}`).classList.toggle("active", v === view);
    }
    if (view === "dashboard") Dashboard.show();
    else Dashboard.hide();
    if (view === "bench") Bench.show();
  }

  function connect(delay) {
    const socket = new WebSocket(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/api/live`);
    const badge = $("#live");
    socket.onopen = () => {
      badge.textContent = "live";
      badge.className = "live on";
      delay = 500;
    };
    socket.onmessage = (message) => {
      let event;
      try {
        event = JSON.parse(message.data);
      } catch {
        return;
      }
      if (event.seq !== undefined) {
        if (event.seq <= lastSeq) return; // already shown (recent chat after a reconnect)
        lastSeq = event.seq;
      }
      Chat.onEvent(event);
      Bench.onEvent(event);
    };
    socket.onclose = () => {
      badge.textContent = "offline";
      badge.className = "live off";
      setTimeout(() => connect(Math.min(delay * 2, 5000)), delay);
    };
  }

  async function main() {
    let stats = null;
    try {
      stats = await UI.json("/api/stats");
    } catch {
      // the chat still works; the dashboard will say what is wrong
    }
    Chat.init(stats);
    window.addEventListener("hashchange", route);
    route();
    connect(500);
  }

  main();
})();
