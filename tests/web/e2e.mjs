// Astra's local web page in a real browser (run by tests/web.rs against `astra run
// --web 127.0.0.1:0`): Debian's headless Chromium driven by playwright-core, never a
// downloaded browser.
//
//   node tests/web/e2e.mjs URL
//
// Two tabs are two people. Mallory posts abuse and sees the security cog's warning
// appear and her message struck through; Alice (second tab) sees that conversation,
// asks the bot and gets a reply, and runs /stats as the local admin; the dashboard's
// ledger counters move when another message is sent, its charts get points; a bench
// scenario runs from its button. Any script error or refused resource on the page
// fails the run. With ASTRA_SCREENSHOTS=DIR it also saves chat.png, dashboard.png and
// bench.png there (the README's pictures).

import { chromium } from "playwright-core";
import { mkdtempSync, mkdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const url = process.argv[2];
if (!url) {
  console.error("usage: node e2e.mjs URL");
  process.exit(2);
}
const shots = process.env.ASTRA_SCREENSHOTS || "";
const TIMEOUT = 60_000;

// Flags this machine needs: no sandbox (root), no GPU, and no background traffic to
// Google (the network is closed).
const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

const profile = mkdtempSync(join(tmpdir(), "astra-chromium-"));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.ASTRA_CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: FLAGS,
  viewport: { width: 1280, height: 860 },
  timeout: TIMEOUT,
});
context.setDefaultTimeout(TIMEOUT);

const problems = [];
function watch(page, who) {
  page.on("pageerror", (e) => problems.push(`${who}: page error: ${e.message}`));
  page.on("console", (m) => {
    if (m.type() === "error") problems.push(`${who}: console error: ${m.text()}`);
  });
  page.on("requestfailed", (r) => problems.push(`${who}: request failed: ${r.url()} ${r.failure()?.errorText}`));
  return page;
}

function step(text) {
  console.log(`  ✓ ${text}`);
}

async function say(page, name, text) {
  await page.fill("#name", name);
  await page.fill("#text", text);
  await page.click("#send");
}

/** The number shown in a dashboard counter. */
async function counter(page, id) {
  const text = await page.textContent(id);
  return Number(text.replace(/[^0-9]/g, "")) || 0;
}

let failed = false;
try {
  // Mallory's tab: abuse → the bot's warning appears, the message is struck through.
  const mallory = watch(await context.newPage(), "mallory");
  await mallory.goto(url);
  await mallory.waitForSelector("#live.on");
  await mallory.waitForSelector("text=local administrator");
  await say(mallory, "mallory", "This server fucking sucks!");
  const abuse = mallory.locator('.msg[data-user="mallory"]').first();
  const warning = abuse.locator('.notice[data-kind="warn"]');
  await warning.waitFor();
  const warned = await warning.textContent();
  if (!/mallory was warned by security/.test(warned)) throw new Error(`unexpected warning: ${warned}`);
  await abuse.locator(".deleted-by").waitFor();
  if (!(await abuse.getAttribute("class")).includes("deleted")) throw new Error("the abusive message is not struck through");
  if ((await abuse.getAttribute("data-priority")) !== "critical") throw new Error("the abusive message is not CRITICAL");
  step(`mallory's abuse was warned live: "${warned.trim()}"`);

  // Alice's tab: she sees that conversation, asks the bot, runs a slash command.
  const alice = watch(await context.newPage(), "alice");
  await alice.goto(url);
  await alice.waitForSelector("#live.on");
  await alice.locator('.msg[data-user="mallory"] .notice[data-kind="warn"]').waitFor();
  step("a second tab sees the same conversation");
  await say(alice, "alice", "@Astra what can you do?");
  const reply = alice.locator('.msg[data-user="alice"] .reply').first();
  await reply.waitFor();
  step(`the bot replied to alice: "${(await reply.locator(".text").textContent()).slice(0, 60)}..."`);
  await say(alice, "alice", "/stats");
  await alice.locator(".msg.command .reply").first().waitFor();
  step("/stats ran as the local administrator");

  // The dashboard (Mallory's tab): counters, charts, cogs, moderation.
  await mallory.click("#nav-dashboard");
  await mallory.waitForFunction(() => Number(document.querySelector("#l-received").textContent.replace(/\D/g, "")) >= 2);
  await mallory.locator('#cogs tr[data-cog="security"]').waitFor();
  await mallory.locator('#moderation li[data-kind="warn"]').first().waitFor();
  await mallory.waitForFunction(() => Number(document.querySelector("#c-rate").dataset.points || 0) > 0);
  const before = await counter(mallory, "#l-received");
  const processedBefore = await counter(mallory, "#l-processed");
  await say(alice, "alice", "Good morning everyone!");
  await mallory.waitForFunction(
    (n) => Number(document.querySelector("#l-received").textContent.replace(/\D/g, "")) > n,
    before,
  );
  await mallory.waitForFunction(
    (n) => Number(document.querySelector("#l-processed").textContent.replace(/\D/g, "")) > n,
    processedBefore,
  );
  step(`the dashboard's counters moved: received ${before} → ${await counter(mallory, "#l-received")}`);

  if (shots) {
    // A livelier room for the README's pictures: a fresh tab with a short
    // conversation, a hot reload, then half a minute of background chatter for the
    // charts.
    mkdirSync(shots, { recursive: true });
    const room = watch(await context.newPage(), "room");
    await room.setViewportSize({ width: 1280, height: 1080 });
    await room.goto(url);
    await room.waitForSelector("#live.on");
    await room.evaluate(() => { document.querySelector("#messages").replaceChildren(); });
    const lines = [
      ["alice", "Good morning everyone!", "[data-outcome]"],
      ["bob", "Help! Bot commands not working!", " .reply"],
      ["carol", "Check out discord.gg/spam-link", ' .notice[data-kind="warn"]'],
      ["dave", "@Astra tell me about space", " .reply"],
      ["erin", "Bitch please, shut the hell up", ' .notice[data-kind="warn"]'],
    ];
    for (const [who, text, wanted] of lines) {
      await say(room, who, text);
      await room.locator(`.msg[data-user="${who}"]${wanted}`).first().waitFor();
    }
    await say(room, "alice", "/warnings user:carol");
    await room.locator('.msg.command[data-user="alice"] .reply').last().waitFor();
    await room.fill("#name", "alice");
    await room.fill("#text", "");
    await room.waitForTimeout(300);
    await room.screenshot({ path: join(shots, "chat.png") });

    await say(room, "alice", "/plugins reload name:analytics");
    const chatter = [
      "Good morning!", "Anyone want to play games?", "@Astra what's the weather like on Mars?",
      "I get an error when I use the quiz command", "nice one", "brb", "lol that was great",
      "Check out discord.gg/free-nitro", "What time is the event tonight?", "gg everyone",
    ];
    const until = Date.now() + 30_000;
    for (let i = 0; Date.now() < until; i++) {
      const burst = 1 + (i % 7 === 0 ? 12 : i % 3);
      await Promise.all(Array.from({ length: burst }, (_, j) => fetch(`${url}api/say`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ user: `member${(i * 7 + j) % 23}`, text: chatter[(i + j) % chatter.length] }),
      })));
      await new Promise((r) => setTimeout(r, 250));
    }
    await mallory.waitForTimeout(2500);
    await mallory.screenshot({ path: join(shots, "dashboard.png"), fullPage: true });
    step(`screenshots of the chat and the dashboard in ${shots}`);
  }

  // A bench scenario from its button: its report and charts appear.
  await alice.click("#nav-bench");
  await alice.fill("#bench-messages", "200");
  await alice.click('button[data-scenario="mixed"]');
  const run = alice.locator('article.run[data-scenario="mixed"]');
  await run.waitFor({ timeout: 180_000 });
  const figures = await run.textContent();
  if (!figures.includes("zero lost ✓")) throw new Error(`the bench run lost messages: ${figures}`);
  step("the mixed bench scenario ran from its button: zero lost");
  if (shots) {
    await run.locator("summary").click();
    await alice.evaluate(() => window.scrollTo(0, 0));
    await alice.waitForTimeout(300);
    await alice.screenshot({ path: join(shots, "bench.png"), fullPage: true });
  }

  if (problems.length) throw new Error(`the page had problems:\n  ${problems.join("\n  ")}`);
  console.log("browser test passed");
} catch (err) {
  failed = true;
  console.error(`browser test FAILED: ${err.message}`);
  if (problems.length) console.error(`page problems:\n  ${problems.join("\n  ")}`);
  try {
    const dir = mkdtempSync(join(tmpdir(), "astra-e2e-failure-"));
    for (const [i, page] of context.pages().entries()) {
      await page.screenshot({ path: join(dir, `page-${i}.png`), fullPage: true });
    }
    console.error(`screenshots of the pages at the failure: ${dir}`);
  } catch {
    // the browser itself is gone
  }
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
