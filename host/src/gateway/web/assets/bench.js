// The bench view: one button per `astra bench` scenario (POST /api/bench/NAME). Each
// runs on a throwaway host inside this process, one at a time; when the live stream
// says a run finished, the view fetches /api/bench and draws each report: the
// headline figures, latency per priority, outcomes per priority, the cogs' calls,
// and the table `astra bench` prints.
"use strict";

const Bench = (() => {
  const { el, $ } = UI;
  let state = null;
  let ticker = null;
  let drawn = "";

  async function refresh() {
    try {
      state = await UI.json("/api/bench");
      render();
    } catch (err) {
      $("#bench-status").textContent = `cannot reach the host: ${err.message}`;
    }
  }

  async function start(name) {
    const raw = $("#bench-messages").value.trim();
    const body = raw ? { messages: Number(raw) } : {};
    try {
      await UI.json(`/api/bench/${encodeURIComponent(name)}`, body);
    } catch (err) {
      $("#bench-status").textContent = err.message;
      return;
    }
    refresh();
  }

  function renderStatus() {
    const running = state && state.running;
    const status = $("#bench-status");
    status.className = running ? "bench-status running" : "bench-status";
    if (running) {
      const secs = Math.max(0, (Date.now() - running.started_ms) / 1000);
      status.textContent = `Running ${running.scenario}${running.messages ? ` (${UI.num(running.messages)} messages)` : ""}… ${secs.toFixed(0)} s`;
    } else {
      status.textContent = state && state.runs.length ? "" : "No run yet. Pick a scenario.";
    }
  }

  function chartsFor(report) {
    const rows = report.priorities.filter((r) => r.messages > 0);
    const categories = rows.map((r) => r.priority);
    const latency = el("canvas", { class: "chart small" });
    const outcomes = el("canvas", { class: "chart small" });
    const cogs = el("canvas", { class: "chart small" });
    const draw = () => {
      Charts.bars(latency, {
        categories,
        log: true,
        format: UI.us,
        series: [
          { label: "p50", color: Charts.PALETTE[0], values: rows.map((r) => r.p50_us) },
          { label: "p99", color: Charts.PALETTE[1], values: rows.map((r) => r.p99_us) },
          { label: "max", color: Charts.PALETTE[7], values: rows.map((r) => r.max_us) },
        ],
      });
      Charts.bars(outcomes, {
        categories,
        stacked: true,
        integer: true,
        series: [
          { label: "processed", color: Charts.PALETTE[2], values: rows.map((r) => r.processed) },
          { label: "rate limited", color: Charts.PALETTE[3], values: rows.map((r) => r.rate_limited) },
          { label: "shed", color: Charts.PALETTE[7], values: rows.map((r) => r.shed) },
          { label: "failed", color: Charts.PALETTE[1], values: rows.map((r) => r.failed) },
        ],
      });
      Charts.bars(cogs, {
        categories: report.cogs.map((c) => c.name),
        log: true,
        format: UI.us,
        series: [
          { label: "cog p50", color: Charts.PALETTE[0], values: report.cogs.map((c) => c.p50_us) },
          { label: "cog p99", color: Charts.PALETTE[1], values: report.cogs.map((c) => c.p99_us) },
        ],
      });
    };
    return [
      el("div", { class: "grid three" },
        el("figure", { class: "panel" }, el("figcaption", {}, "Latency per priority"), latency),
        el("figure", { class: "panel" }, el("figcaption", {}, "Outcomes per priority"), outcomes),
        el("figure", { class: "panel" }, el("figcaption", {}, "Time per cog call"), cogs)),
      draw,
    ];
  }

  function runBlock(run) {
    const took = ((run.finished_ms - run.started_ms) / 1000).toFixed(1);
    const head = el("h3", {}, run.scenario, el("span", { class: "dim" }, ` · ${UI.clock(run.finished_ms)} · ${took} s`));
    if (!run.report) {
      return [el("article", { class: "run failed", dataset: { scenario: run.scenario } }, head, el("p", { class: "bad" }, run.error)), null];
    }
    const r = run.report;
    const figures = el("div", { class: "cards small" },
      ...[
        ["messages", UI.num(r.messages)],
        ["processed", `${UI.num(r.processed)} (${r.success_pct.toFixed(1)}%)`],
        ["msgs/s", UI.num(r.msgs_per_sec)],
        ["avg latency", UI.us(r.avg_us)],
        ["peak running jobs", UI.num(r.peak_active_jobs)],
        ["ledger", r.ledger.zero_lost ? "zero lost ✓" : "UNBALANCED"],
      ].map(([label, value]) => el("div", { class: "card" }, el("span", { class: "label" }, label), el("span", { class: "value" }, value))));
    const [charts, draw] = chartsFor(r);
    const article = el("article", { class: "run", dataset: { scenario: run.scenario } },
      head,
      el("p", { class: "dim" }, r.about),
      figures,
      charts,
      el("details", {}, el("summary", {}, "the table astra bench prints"), el("pre", { class: "report" }, run.text)));
    return [article, draw];
  }

  function render() {
    if (!state) return;
    const running = state.running;
    $("#scenarios").replaceChildren(...state.scenarios.map((s) => el("div", { class: "scenario" },
      el("button", { type: "button", dataset: { scenario: s.name }, disabled: Boolean(running), onclick: () => start(s.name) }, `Run ${s.name}`),
      el("span", {}, s.about))));
    renderStatus();
    clearInterval(ticker);
    ticker = running ? setInterval(renderStatus, 1000) : null;
    const key = state.runs.map((r) => `${r.scenario}@${r.finished_ms}`).join(",");
    if (key === drawn) return;
    drawn = key;
    const blocks = state.runs.map(runBlock);
    $("#runs").replaceChildren(...blocks.map(([node]) => node));
    for (const [, draw] of blocks) if (draw) draw();
  }

  function onEvent(e) {
    if (e.type === "bench") refresh();
  }

  return { show: refresh, onEvent };
})();
