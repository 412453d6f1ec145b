// Small hand-written canvas charts for the dashboard and the bench view: a time-series
// line chart (linear or log scale, gaps where a value is null) and a grouped bar
// chart. They redraw from scratch each time (a few hundred points) and follow the
// canvas's CSS size and the screen's pixel ratio.
"use strict";

const Charts = (() => {
  const PALETTE = ["#5b8def", "#f2555a", "#3fb57a", "#f79a3e", "#a476e8", "#2fb4b4", "#e36bb3", "#e8c547"];
  const GRID = "rgba(255,255,255,0.08)";
  const AXIS_TEXT = "#9aa0ab";
  const FONT = "11px system-ui, -apple-system, 'Segoe UI', sans-serif";

  /** Size the canvas's backing store to its CSS box; returns [ctx, width, height]. */
  function prepare(canvas) {
    const ratio = window.devicePixelRatio || 1;
    const width = canvas.clientWidth || 300;
    const height = canvas.clientHeight || 160;
    if (canvas.width !== Math.round(width * ratio) || canvas.height !== Math.round(height * ratio)) {
      canvas.width = Math.round(width * ratio);
      canvas.height = Math.round(height * ratio);
    }
    const ctx = canvas.getContext("2d");
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, width, height);
    ctx.font = FONT;
    return [ctx, width, height];
  }

  /** A round upper bound and tick step for 0..max. */
  function niceScale(max, ticks) {
    if (!(max > 0)) return { max: 1, step: 0.25 };
    const raw = max / ticks;
    const magnitude = Math.pow(10, Math.floor(Math.log10(raw)));
    const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((s) => s >= raw);
    return { max: Math.ceil(max / step) * step, step };
  }

  /** A y axis: value → pixel, and its ticks. */
  function yAxis(values, top, bottom, log, integer) {
    const finite = values.filter((v) => v !== null && v !== undefined && Number.isFinite(v));
    if (log) {
      const positive = finite.filter((v) => v > 0);
      let lo = positive.length ? Math.floor(Math.log10(Math.min(...positive))) : 0;
      let hi = positive.length ? Math.ceil(Math.log10(Math.max(...positive))) : 3;
      if (hi <= lo) hi = lo + 1;
      const ticks = [];
      for (let e = lo; e <= hi; e++) ticks.push(Math.pow(10, e));
      const y = (v) => bottom - ((Math.log10(Math.max(v, Math.pow(10, lo))) - lo) / (hi - lo)) * (bottom - top);
      return { y, ticks };
    }
    let { max, step } = niceScale(Math.max(0, ...finite), 4);
    if (integer && step < 1) {
      step = 1;
      max = Math.max(1, Math.ceil(max));
    }
    const ticks = [];
    for (let v = 0; v <= max + step / 2; v += step) ticks.push(v);
    const y = (v) => bottom - (v / max) * (bottom - top);
    return { y, ticks };
  }

  function legend(ctx, series, x, y, width) {
    let cx = x;
    for (const s of series) {
      const label = s.label;
      const w = ctx.measureText(label).width + 22;
      if (cx + w > x + width && cx > x) break;
      ctx.fillStyle = s.color;
      ctx.fillRect(cx, y - 8, 10, 10);
      ctx.fillStyle = "#dbdee1";
      ctx.fillText(label, cx + 14, y + 1);
      cx += w;
    }
  }

  /** `text`, cut with an ellipsis to fit `width` pixels. */
  function fit(ctx, text, width) {
    if (ctx.measureText(text).width <= width) return text;
    let cut = text;
    while (cut.length > 1 && ctx.measureText(`${cut}…`).width > width) cut = cut.slice(0, -1);
    return `${cut}…`;
  }

  function empty(ctx, width, height, text) {
    ctx.fillStyle = AXIS_TEXT;
    ctx.textAlign = "center";
    ctx.fillText(text || "no data yet", width / 2, height / 2);
    ctx.textAlign = "left";
  }

  /**
   * A time series. opts: {series: [{label, color, points: [[t_ms, value|null], ...]}],
   * spanMs, now, format(v), log, integer}. Draws gaps at nulls.
   */
  function line(canvas, opts) {
    const [ctx, width, height] = prepare(canvas);
    const left = 58, right = 10, top = 22, bottom = height - 20;
    const all = opts.series.flatMap((s) => s.points.map((p) => p[1]));
    canvas.dataset.points = String(all.filter((v) => v !== null).length);
    legend(ctx, opts.series, left, 12, width - left - right);
    if (!all.some((v) => v !== null && v !== undefined)) return empty(ctx, width, height);
    const now = opts.now || Date.now();
    const span = opts.spanMs || 300000;
    const x = (t) => left + ((t - (now - span)) / span) * (width - left - right);
    const axis = yAxis(all, top, bottom, opts.log, opts.integer);
    const format = opts.format || UI.num;
    ctx.strokeStyle = GRID;
    ctx.lineWidth = 1;
    ctx.fillStyle = AXIS_TEXT;
    ctx.textAlign = "right";
    for (const tick of axis.ticks) {
      const ty = Math.round(axis.y(tick)) + 0.5;
      ctx.beginPath();
      ctx.moveTo(left, ty);
      ctx.lineTo(width - right, ty);
      ctx.stroke();
      ctx.fillText(format(tick), left - 6, ty + 4);
    }
    ctx.textAlign = "center";
    const step = [10, 15, 30, 60, 120, 300].map((s) => s * 1000).find((s) => span / s <= 6) || 600000;
    for (let ago = 0; ago <= span; ago += step) {
      const tx = x(now - ago);
      const label = ago === 0 ? "now" : ago % 60000 === 0 ? `-${ago / 60000} min` : `-${ago / 1000} s`;
      ctx.fillText(label, Math.min(Math.max(tx, left + 14), width - right - 14), height - 5);
    }
    ctx.textAlign = "left";
    ctx.save();
    ctx.beginPath();
    ctx.rect(left, top - 2, width - left - right, bottom - top + 4);
    ctx.clip();
    for (const s of opts.series) {
      ctx.strokeStyle = s.color;
      ctx.lineWidth = 1.6;
      ctx.beginPath();
      let drawing = false;
      let lonely = null;
      for (const [t, v] of s.points) {
        if (v === null || v === undefined || t < now - span - 2000) {
          drawing = false;
          continue;
        }
        const px = x(t), py = axis.y(v);
        if (drawing) {
          ctx.lineTo(px, py);
          lonely = null;
        } else {
          ctx.moveTo(px, py);
          lonely = [px, py];
        }
        drawing = true;
      }
      ctx.stroke();
      if (lonely) {
        ctx.fillStyle = s.color;
        ctx.fillRect(lonely[0] - 1.5, lonely[1] - 1.5, 3, 3);
      }
    }
    ctx.restore();
  }

  /**
   * Grouped bars. opts: {categories: [...], series: [{label, color, values: [...]}],
   * format(v), log, stacked, integer}.
   */
  function bars(canvas, opts) {
    const [ctx, width, height] = prepare(canvas);
    const left = 58, right = 10, top = 22, bottom = height - 20;
    legend(ctx, opts.series, left, 12, width - left - right);
    const n = opts.categories.length;
    const totals = opts.stacked
      ? opts.categories.map((_, i) => opts.series.reduce((sum, s) => sum + (s.values[i] || 0), 0))
      : opts.series.flatMap((s) => s.values);
    if (!n || !totals.some((v) => v > 0)) return empty(ctx, width, height, "nothing measured");
    const axis = yAxis(totals, top, bottom, opts.log, opts.integer);
    const format = opts.format || UI.num;
    ctx.strokeStyle = GRID;
    ctx.fillStyle = AXIS_TEXT;
    ctx.textAlign = "right";
    for (const tick of axis.ticks) {
      const ty = Math.round(axis.y(tick)) + 0.5;
      ctx.beginPath();
      ctx.moveTo(left, ty);
      ctx.lineTo(width - right, ty);
      ctx.stroke();
      ctx.fillText(format(tick), left - 6, ty + 4);
    }
    const band = (width - left - right) / n;
    const groups = opts.stacked ? 1 : opts.series.length;
    const barWidth = Math.min(28, (band * 0.7) / groups);
    ctx.textAlign = "center";
    opts.categories.forEach((category, i) => {
      const x0 = left + band * i + (band - barWidth * groups) / 2;
      let base = 0;
      opts.series.forEach((s, j) => {
        const v = s.values[i] || 0;
        if (v <= 0) return;
        ctx.fillStyle = s.color;
        const bx = opts.stacked ? x0 : x0 + j * barWidth;
        const y1 = axis.y(opts.stacked ? base + v : v);
        const y0 = opts.stacked && base > 0 ? axis.y(base) : bottom;
        ctx.fillRect(bx + 1, y1, barWidth - 2, Math.max(1, y0 - y1));
        base += v;
      });
      ctx.fillStyle = AXIS_TEXT;
      ctx.fillText(fit(ctx, category, band - 6), left + band * i + band / 2, height - 5);
    });
    ctx.textAlign = "left";
  }

  return { line, bars, PALETTE };
})();
