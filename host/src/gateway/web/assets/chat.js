// The chat view: pick a name (kept per tab, so two tabs are two people), post to
// /api/say, and draw what the live stream says happened: each message with its
// priority, outcome and latency, the bot's replies under it, warnings, timeouts and
// bans as notices, deleted messages struck through. Every text goes in through
// textContent, never as HTML.
"use strict";

const Chat = (() => {
  const { el, $ } = UI;
  let botName = "Astra";

  function scrollDown(force) {
    const list = $("#messages");
    const near = list.scrollHeight - list.scrollTop - list.clientHeight < 120;
    if (force || near) list.scrollTop = list.scrollHeight;
  }

  function add(node, force) {
    $("#messages").append(node);
    scrollDown(force);
  }

  const messageId = (id) => `msg-${id}`;

  function findMessage(id) {
    return document.getElementById(messageId(id));
  }

  function avatar(name, bot) {
    const letter = (name || "?").slice(0, 1).toUpperCase();
    let hue = 0;
    for (const c of name || "") hue = (hue * 31 + c.charCodeAt(0)) % 360;
    return el("span", { class: `avatar hue-${Math.floor(hue / 30)}${bot ? " bot" : ""}`, "aria-hidden": "true" }, letter);
  }

  /** A message block: avatar, name line, text, then a place for what happened. */
  function messageBlock({ id, user, text, at_ms, console }) {
    return el("li", { class: "msg", id: messageId(id), dataset: { id, user } },
      avatar(user),
      el("div", { class: "body" },
        el("div", { class: "head" },
          el("span", { class: "who" }, user),
          console ? el("span", { class: "tag" }, "console") : null,
          el("time", {}, UI.clock(at_ms || Date.now())),
          el("span", { class: "status pending" }, "triage…")),
        el("div", { class: "text" }, text),
        el("div", { class: "reactions" }),
        el("div", { class: "responses" })));
  }

  function notice(kind, text, extra) {
    return el("div", { class: `notice n-${kind}`, dataset: { kind } }, text, extra || null);
  }

  function botReply(cog, content, note) {
    return el("div", { class: "reply", dataset: { kind: "reply", cog } },
      avatar(botName, true),
      el("div", { class: "body" },
        el("div", { class: "head" },
          el("span", { class: "who bot" }, botName),
          el("span", { class: "tag app" }, "APP"),
          el("span", { class: "cog" }, cog),
          note ? el("span", { class: "note" }, note) : null),
        el("div", { class: "text" }, markdown(content))));
  }

  /**
   * The little Markdown cogs write (```blocks```, `code`, **bold**, __underline__,
   * <@user> and <#channel> mentions) as DOM nodes; the text always goes in as text.
   */
  function markdown(content) {
    return String(content).split("```").flatMap((part, i) =>
      i % 2 === 1 ? [el("pre", { class: "block" }, part.replace(/^[a-z]*\n/, "").replace(/\n$/, ""))] : inline(part));
  }

  function inline(text) {
    const nodes = [];
    for (const piece of text.split(/(`[^`\n]+`|\*\*[^*\n]+\*\*|__[^_\n]+__|<[@#][!&]?[^<>\s]+>)/)) {
      if (!piece) continue;
      const wrapped = (open, close) => piece.startsWith(open) && piece.endsWith(close) && piece.length > open.length + close.length;
      if (wrapped("`", "`")) nodes.push(el("code", {}, piece.slice(1, -1)));
      else if (wrapped("**", "**")) nodes.push(el("strong", {}, inline(piece.slice(2, -2))));
      else if (wrapped("__", "__")) nodes.push(el("u", {}, inline(piece.slice(2, -2))));
      else if (wrapped("<@", ">")) nodes.push(el("span", { class: "mention" }, `@${piece.slice(2, -1).replace(/^[!&]/, "")}`));
      else if (wrapped("<#", ">")) nodes.push(el("span", { class: "mention" }, `#${piece.slice(2, -1)}`));
      else nodes.push(piece);
    }
    return nodes;
  }

  /** One accepted action, drawn where it belongs. */
  function showAction(block, a, who) {
    const responses = $(".responses", block);
    switch (a.kind) {
      case "reply":
        responses.append(botReply(a.cog, a.content, `replying to ${who}`));
        break;
      case "send":
        responses.append(botReply(a.cog, a.content, `in #${a.channel_id}`));
        break;
      case "react":
        $(".reactions", block).append(el("span", { class: "reaction", title: a.cog }, a.emoji));
        break;
      case "delete-message": {
        const target = findMessage(a.message_id) || block;
        target.classList.add("deleted");
        const head = $(".head", target);
        if (head && !$(".deleted-by", head)) head.append(el("span", { class: "deleted-by" }, `deleted by ${a.cog}`));
        responses.append(notice("delete-message", `✖ message deleted by ${a.cog}`));
        break;
      }
      case "warn":
        responses.append(notice("warn", `⚠ ${a.user_id} was warned by ${a.cog}: ${a.reason}`));
        break;
      case "timeout":
        responses.append(notice("timeout", `✖ ${a.user_id} was timed out for ${a.seconds} s by ${a.cog}: ${a.reason}`));
        break;
      case "kick":
        responses.append(notice("kick", `✖ ${a.user_id} was kicked by ${a.cog}: ${a.reason}`));
        break;
      case "ban":
        responses.append(notice("ban", `✖ ${a.user_id} was banned by ${a.cog}: ${a.reason}`));
        break;
      case "purge":
        responses.append(notice("purge", `✖ ${a.cog} purged ${a.count} messages in #${a.channel_id}`));
        break;
      case "log-to-modlog":
        responses.append(notice("modlog", `mod-log (${a.cog}): `, markdown(a.content)));
        break;
      default:
        responses.append(notice("other", a.text));
    }
  }

  function onMessage(e) {
    if (findMessage(e.id)) return;
    add(messageBlock(e), false);
  }

  function onOutcome(e) {
    let block = findMessage(e.id);
    if (!block) {
      // typed in the console (or sent before this tab opened): no text to show
      block = messageBlock({ id: e.id, user: e.user, text: "(typed in the console)", at_ms: e.at_ms, console: !e.from_page });
      add(block, false);
    }
    const status = $(".status", block);
    status.className = `status o-${e.outcome}`;
    status.replaceChildren(
      el("span", { class: `prio p-${e.priority}` }, e.priority),
      " ",
      e.early ? el("span", { class: "outcome" }, "early — more to come")
        : e.outcome === "processed" ? "" : el("span", { class: "outcome" }, e.outcome.replace("_", " ")),
      " ",
      el("span", { class: "latency" }, UI.us(e.latency_us)));
    block.dataset.outcome = e.outcome;
    block.dataset.priority = e.priority;
    for (const a of e.actions) showAction(block, a, e.user);
    for (const a of e.dropped) {
      $(".responses", block).append(notice("dropped", `not done (${a.cog} lacks the capability): ${a.text}`));
    }
    if (e.error) $(".responses", block).append(notice(e.outcome === "failed" ? "failed" : "info", e.error));
    scrollDown(false);
  }

  function onCommand(e, local) {
    if (findMessage(e.id)) return;
    const block = el("li", { class: "msg command", id: messageId(e.id), dataset: { id: e.id, user: e.user } },
      avatar(e.user),
      el("div", { class: "body" },
        el("div", { class: "head" },
          el("span", { class: "who" }, e.user),
          el("span", { class: "tag admin" }, "admin"),
          el("time", {}, UI.clock(e.at_ms || Date.now()))),
        el("div", { class: "text" }, el("code", {}, e.text)),
        el("div", { class: "reactions" }),
        el("div", { class: "responses" })));
    const responses = $(".responses", block);
    if (e.ok) {
      responses.append(botReply(e.cog || "host", e.content || "(no reply)", local ? "only you can see this" : `to /${e.text.slice(1).split(" ")[0]}`));
      for (const a of e.actions || []) showAction(block, a, e.user);
    } else {
      responses.append(notice("failed", e.content));
    }
    add(block, true);
  }

  function onEvent(e) {
    if (e.type === "message") onMessage(e);
    else if (e.type === "outcome") onOutcome(e);
    else if (e.type === "command") onCommand(e, false);
  }

  function showError(text) {
    const line = $("#compose-error");
    line.textContent = text;
    line.hidden = !text;
  }

  async function send(event) {
    event.preventDefault();
    const nameInput = $("#name");
    const textInput = $("#text");
    const name = nameInput.value.trim();
    const text = textInput.value.trim();
    if (!name) {
      nameInput.focus();
      return showError("Pick a name first (letters, digits, _ - .). Another tab can be someone else.");
    }
    if (!text) return;
    sessionStorage.setItem("astra-name", name);
    try {
      const answer = await UI.json("/api/say", { user: name, text });
      showError("");
      textInput.value = "";
      if (answer.kind === "command" && answer.ephemeral) {
        onCommand({ ...answer, user: name, text, at_ms: Date.now() }, true);
      }
    } catch (err) {
      showError(err.message);
    }
    textInput.focus();
  }

  function init(stats) {
    if (stats && stats.bot_name) botName = stats.bot_name;
    const nameInput = $("#name");
    nameInput.value = sessionStorage.getItem("astra-name") || "";
    $("#compose").addEventListener("submit", send);
    $("#text").placeholder = `Message #general as yourself — @${botName} to ask the bot, /help for commands`;
    if (stats && !stats.admin) {
      $("#admin-note").textContent = "You are visiting from another machine: slash commands run without permissions.";
    }
  }

  return { init, onEvent };
})();
