// The dashboard view: every second it asks /api/history for the samples it has not
// seen yet (the server samples once a second into a ten-minute ring, so a late
// dashboard still has history) and /api/stats for the host now, then redraws the
// ledger counters, the charts, the cog table, and the reload and moderation lists.
"use strict";

const Dashboard = (() => {
  const { el, $ } = UI;
  // The charts show the history there is, from one minute up to five.
  const MIN_SPAN_MS = 60 * 1000;
  const MAX_SPAN_MS = 5 * 60 * 1000;
  const KEEP = 600;
  let samples = [];
  let lastT = 0;
  let timer = null;
  let stats = null;

  const LEDGER = ["received", "processed", "rate_limited", "shed", "failed", "in_flight"];

  function points(pick) {
    return samples.map((s) => [s.t_ms, pick(s)]);
  }

  function drawCharts() {
    const now = samples.length ? samples[samples.length - 1].t_ms : Date.now();
    const age = samples.length ? now - samples[0].t_ms : 0;
    const spanMs = Math.min(MAX_SPAN_MS, Math.max(MIN_SPAN_MS, Math.ceil(age / 30000) * 30000));
    const common = { now, spanMs };
    Charts.line($("#c-rate"), {
      ...common,
      series: [
        { label: "received/s", color: Charts.PALETTE[0], points: points((s) => s.received_per_sec) },
        { label: "settled/s", color: Charts.PALETTE[2], points: points((s) => s.settled_per_sec) },
      ],
    });
    Charts.line($("#c-queues"), {
      ...common,
      integer: true,
      series: UI.PRIORITIES.map((p, i) => ({ label: p, color: UI.PRIORITY_COLORS[i], points: points((s) => s.queues[i]) }))
        .concat([{ label: "running", color: Charts.PALETTE[4], points: points((s) => s.active_jobs) }]),
    });
    for (const [id, key] of [["#c-p50", "p50_us"], ["#c-p99", "p99_us"]]) {
      Charts.line($(id), {
        ...common,
        log: true,
        format: UI.us,
        series: UI.PRIORITIES.map((p, i) => ({ label: p, color: UI.PRIORITY_COLORS[i], points: points((s) => s[key][i]) })),
      });
    }
    const names = [...new Set(samples.flatMap((s) => s.cogs.map((c) => c.name)))].sort();
    const cogSeries = (field) => names.map((name, i) => ({
      label: name,
      color: Charts.PALETTE[i % Charts.PALETTE.length],
      points: points((s) => {
        const c = s.cogs.find((c) => c.name === name);
        return c ? c[field] : null;
      }),
    }));
    Charts.line($("#c-cogs"), { ...common, series: cogSeries("calls_per_sec") });
    Charts.line($("#c-cog-errors"), { ...common, series: cogSeries("errors_per_sec") });
  }

  function drawStats() {
    if (!stats) return;
    for (const key of LEDGER) $(`#l-${key}`).textContent = UI.num(stats.ledger[key]);
    const last = stats.sample;
    $("#l-rate").textContent = last ? UI.num(last.settled_per_sec) : "–";
    $("#l-active").textContent = `${UI.num(stats.active_jobs)} / ${stats.max_concurrent}`;
    $("#l-balanced").textContent = stats.balanced ? "balanced ✓" : "NOT balanced";
    $("#l-balanced").className = stats.balanced ? "ok" : "bad";

    $("#cogs tbody").replaceChildren(...stats.cogs.map((c) => el("tr", { dataset: { cog: c.name } },
      el("td", {}, el("strong", {}, c.name)),
      el("td", {}, c.version, c.previous.length ? el("span", { class: "dim" }, ` (was ${c.previous.join(", ")})`) : null),
      el("td", {}, el("span", { class: `state s-${c.state}`, title: c.suspended || "" }, c.state)),
      el("td", { class: "n" }, UI.num(c.stats.calls)),
      el("td", { class: c.stats.errors ? "n bad" : "n" }, UI.num(c.stats.errors)),
      el("td", { class: "n" }, UI.us(c.stats.p50_us)),
      el("td", { class: "n" }, UI.us(c.stats.p99_us)),
      el("td", { class: "dim src" }, c.source))));

    $("#latency tbody").replaceChildren(...stats.latency.map((l, i) => el("tr", {},
      el("td", {}, el("span", { class: `prio p-${l.priority}` }, l.priority)),
      el("td", { class: "n" }, UI.num(l.count)),
      el("td", { class: "n" }, l.count ? UI.us(l.p50_us) : "–"),
      el("td", { class: "n" }, l.count ? UI.us(l.p99_us) : "–"),
      el("td", { class: "n" }, l.count ? UI.us(l.max_us) : "–"),
      el("td", { class: "n" }, UI.num(stats.queues[i])))));

    const moderation = stats.moderation.slice(0, 30);
    $("#moderation").replaceChildren(...(moderation.length
      ? moderation.map((m) => el("li", { dataset: { kind: m.kind } },
        el("time", {}, UI.clock(m.at_ms)), " ", el("span", { class: `kind k-${m.kind}` }, m.kind), " ", m.text,
        el("span", { class: "dim" }, m.via === "command" ? ` · a command by ${m.by}` : ` · on ${m.by}'s message`)))
      : [el("li", { class: "dim" }, "none yet — try posting an invite link in the chat")]));

    const reloads = stats.reload_events.slice(0, 30);
    $("#reloads").replaceChildren(...(reloads.length
      ? reloads.map((r) => el("li", {}, el("time", {}, UI.clock(r.at_ms)), " ", el("strong", {}, r.cog), " ", r.what))
      : [el("li", { class: "dim" }, "none yet — drop a .wasm into the plugin folder")]));

    const cpu = last && last.cpu_pct !== null ? `${last.cpu_pct.toFixed(0)}% of a core` : "–";
    $("#process").textContent =
      `up ${Math.floor(stats.uptime_s / 60)} min ${stats.uptime_s % 60} s · memory ${UI.bytes(stats.rss_bytes)} ` +
      `(peak ${UI.bytes(stats.rss_peak_bytes)}) · CPU ${cpu} · peak ${UI.num(stats.peak_per_second)} msg/s · ` +
      `${UI.num(stats.retries)} retries · queue capacity ${UI.num(stats.queue_capacity)}`;
  }

  async function poll() {
    try {
      const [fresh, now] = await Promise.all([UI.json(`/api/history?since=${lastT}`), UI.json("/api/stats")]);
      if (fresh.length) {
        samples.push(...fresh);
        lastT = fresh[fresh.length - 1].t_ms;
        if (samples.length > KEEP) samples = samples.slice(-KEEP);
      }
      stats = now;
      drawStats();
      drawCharts();
      $("#dash-error").hidden = true;
    } catch (err) {
      $("#dash-error").textContent = `cannot reach the host: ${err.message}`;
      $("#dash-error").hidden = false;
    }
  }

  function show() {
    if (timer) return;
    poll();
    timer = setInterval(poll, 1000);
  }

  function hide() {
    clearInterval(timer);
    timer = null;
  }

  window.addEventListener("resize", () => timer && drawCharts());

  return { show, hide };
})();
