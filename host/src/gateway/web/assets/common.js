// Astra's local page: helpers shared by the chat, the dashboard and the bench view
// (DOM building without innerHTML, JSON requests, number formatting). Plain browser
// JavaScript, no build step, no library; embedded in the binary by assets.rs.
"use strict";

const UI = (() => {
  /** Build an element: el("li", {class: "x", dataset: {id: "1"}}, "text", child...). */
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === undefined || value === null || value === false) continue;
      if (key === "class") node.className = value;
      else if (key === "dataset") Object.assign(node.dataset, value);
      else if (key === "text") node.textContent = value;
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? "" : value);
    }
    for (const child of children.flat()) {
      if (child === undefined || child === null || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  const $ = (selector, root) => (root || document).querySelector(selector);

  /** GET or POST JSON; throws an Error carrying the server's `error` text. */
  async function json(url, body) {
    const init = body === undefined
      ? {}
      : { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) };
    const response = await fetch(url, init);
    const data = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(data.error || `${response.status} ${response.statusText}`);
    return data;
  }

  /** Microseconds for people: 412 µs, 12.3 ms, 1.24 s. */
  function us(value) {
    if (value === null || value === undefined || Number.isNaN(value)) return "–";
    if (value < 1000) return `${Math.round(value)} µs`;
    if (value < 1e6) return `${(value / 1000).toFixed(value < 1e4 ? 2 : 1)} ms`;
    return `${(value / 1e6).toFixed(2)} s`;
  }

  /** 1234567 → 1,234,567; rates keep one decimal below 100. */
  function num(value) {
    if (value === null || value === undefined) return "–";
    if (!Number.isInteger(value) && Math.abs(value) < 1) return String(Number(value.toFixed(2)));
    if (!Number.isInteger(value) && Math.abs(value) < 100) return value.toFixed(1);
    return Math.round(value).toLocaleString("en-US");
  }

  function bytes(value) {
    if (!value) return "–";
    const mib = value / (1024 * 1024);
    return mib >= 1024 ? `${(mib / 1024).toFixed(2)} GiB` : `${mib.toFixed(0)} MiB`;
  }

  function clock(ms) {
    return new Date(ms).toLocaleTimeString("en-GB", { hour12: false });
  }

  const PRIORITIES = ["critical", "high", "normal", "low"];
  const PRIORITY_COLORS = ["#f2555a", "#f79a3e", "#5b8def", "#9aa0ab"];

  return { el, $, json, us, num, bytes, clock, PRIORITIES, PRIORITY_COLORS };
})();
