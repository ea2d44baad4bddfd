// The exporter's status page in a real browser: Debian's headless Chromium,
// driven by playwright-core, against `loki-metrics demo` and `serve` on
// loopback. Run by scripts/test.sh (`node tests/browser/status_page.mjs`);
// needs LOKI_METRICS_BIN (the CLI) and /usr/bin/chromium.
//
// Screenshots go to target/test-artifacts/; with LOKI_METRICS_BLESS=1 the
// desktop one is also copied to docs/images/status-page.png for the README.

import { test, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, mkdirSync, writeFileSync, copyFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const BIN = process.env.LOKI_METRICS_BIN;
const CHROMIUM = process.env.LOKI_CHROMIUM || "/usr/bin/chromium";
const ARTIFACTS = path.join(ROOT, "target", "test-artifacts");
mkdirSync(ARTIFACTS, { recursive: true });
assert.ok(BIN, "LOKI_METRICS_BIN must name the loki-metrics CLI");

// The tags and attributes the page is made of: anything else in the DOM came
// from somewhere else.
const TAGS = new Set(("html head meta link title style body header h1 nav a p main section h2 span div h3 " +
  "progress meter dl dt dd figure figcaption svg polyline ul li code footer script").split(" "));
const ATTRIBUTES = new Set(("lang charset name content rel href class id hidden data-refresh-seconds data-updates " +
  "data-project-count data-project data-name data-field data-status data-text data-level data-progress " +
  "value max min low high optimum data-meter data-list data-chart-range data-chart points viewbox " +
  "preserveaspectratio role aria-label data-warnings").split(" "));

const children = [];
let browser;
after(async () => {
  if (browser) await browser.close();
  for (const child of children) child.kill("SIGTERM");
});

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

// Starts the CLI with `args` and resolves with the child once `ready` matches its stderr.
function startCli(args, ready) {
  return new Promise((resolve, reject) => {
    const child = spawn(BIN, args, { stdio: ["ignore", "ignore", "pipe"] });
    children.push(child);
    let stderr = "";
    const timer = setTimeout(() => reject(new Error(`no ${ready} within 20 s:\n${stderr}`)), 20000);
    child.stderr.on("data", (chunk) => {
      stderr += chunk;
      const match = stderr.match(ready);
      if (match) {
        clearTimeout(timer);
        resolve({ child, match, stderr: () => stderr });
      }
    });
    child.on("exit", (code) => reject(new Error(`${args[0]} exited with ${code}:\n${stderr}`)));
  });
}

function render(dir) {
  return JSON.parse(execFileSync(BIN, ["render", "--loki-dir", dir, "--format", "json"], { encoding: "utf8" }));
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function launch() {
  browser ??= await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
      "--disable-component-update", "--disable-sync"],
  });
  return browser;
}

// A page that records console errors, page errors, failed requests and CSP violations.
async function open(context, url) {
  const page = await context.newPage();
  const problems = [];
  page.on("console", (m) => { if (m.type() === "error") problems.push(`console: ${m.text()}`); });
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("requestfailed", (r) => problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`));
  await page.addInitScript(() => {
    window.__csp = [];
    document.addEventListener("securitypolicyviolation", (e) => window.__csp.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  const response = await page.goto(url, { waitUntil: "load" });
  assert.equal(response.status(), 200);
  return { page, problems };
}

// The values the page shows, read from the DOM.
function readPage(page) {
  return page.evaluate(() => {
    const text = (sel) => document.querySelector(sel)?.textContent ?? null;
    const pairs = (key) => Object.fromEntries([...document.querySelectorAll(`[data-list="${key}"] dt`)]
      .map((dt) => [dt.textContent, dt.nextElementSibling.textContent]));
    return {
      status: text("[data-field=status]"),
      reason: text("[data-field=status_reason]"),
      iterationText: text("[data-text=iteration]"),
      iteration: Number(document.querySelector("[data-progress=iteration]").getAttribute("value")),
      cost: Number(document.querySelector("[data-meter=budget]").getAttribute("value")),
      budgetText: text("[data-text=budget]"),
      tasks: pairs("tasks"),
      charts: Object.fromEntries([...document.querySelectorAll("polyline[data-chart]")]
        .map((p) => [p.getAttribute("data-chart"), p.getAttribute("points")])),
      updates: Number(document.body.getAttribute("data-updates") || 0),
    };
  });
}

// Every element and attribute in the document that the page does not make.
function foreignNodes(page) {
  return page.evaluate(({ tags, attributes }) => {
    const foreign = [];
    for (const el of document.querySelectorAll("*")) {
      if (!tags.includes(el.localName)) foreign.push(`<${el.localName}>`);
      for (const a of el.attributes) if (!attributes.includes(a.name.toLowerCase())) foreign.push(`${el.localName}[${a.name}]`);
    }
    return foreign;
  }, { tags: [...TAGS], attributes: [...ATTRIBUTES] });
}

const count = (n) => n.toLocaleString("en-US");

test("the page from demo shows what render prints, charts its history and updates itself", async () => {
  const port = await freePort();
  const { match } = await startCli(
    ["demo", "--port", String(port), "--rate", "10", "--cache-ttl", "0", "--history-step", "0.5"],
    /simulating a Loki Mode session in (\S+) /,
  );
  const dir = match[1];
  await sleep(2500); // a few history points
  const ctx = await (await launch()).newContext({ viewport: { width: 1280, height: 900 } });
  const before = render(dir);
  const { page, problems } = await open(ctx, `http://127.0.0.1:${port}/`);
  const shown = await readPage(page);
  const afterwards = render(dir);

  assert.equal(shown.status, before.session_status);
  assert.equal(shown.status, afterwards.session_status);
  assert.equal(shown.status, "running");
  assert.match(shown.reason, /^PID \d+ \(loki\.pid\) is alive$/);
  assert.ok(before.iteration_current <= shown.iteration && shown.iteration <= afterwards.iteration_current,
    `iteration ${shown.iteration} between ${before.iteration_current} and ${afterwards.iteration_current}`);
  assert.equal(shown.iterationText, `${count(shown.iteration)} / ${count(before.iteration_max)}`);
  assert.ok(before.cost_usd <= shown.cost && shown.cost <= afterwards.cost_usd,
    `cost ${shown.cost} between ${before.cost_usd} and ${afterwards.cost_usd}`);
  assert.match(shown.budgetText, /^\$\d+\.\d\d of \$50\.00 \(\d+%\)$/);
  for (const status of ["pending", "in_progress", "completed", "failed"]) {
    assert.ok(status in shown.tasks, `tasks.${status} shown`);
  }
  const completed = Number(shown.tasks.completed.replaceAll(",", ""));
  assert.ok(before.tasks.completed <= completed && completed <= afterwards.tasks.completed,
    `completed ${completed} between ${before.tasks.completed} and ${afterwards.tasks.completed}`);
  for (const [key, points] of Object.entries(shown.charts)) {
    assert.ok(points.split(" ").length >= 3, `chart ${key} has points: ${points}`);
  }
  assert.deepEqual(Object.keys(shown.charts), ["cost", "events_rate", "iteration", "tasks_open"]);

  // The script refreshes the page from /api/v1/status while simulate writes.
  await page.waitForFunction(() => Number(document.body.getAttribute("data-updates") || 0) >= 2, null, { timeout: 20000 });
  const later = await readPage(page);
  assert.ok(later.iteration > shown.iteration, `iteration moved: ${shown.iteration} -> ${later.iteration}`);
  assert.notEqual(later.charts.iteration, shown.charts.iteration, "the iteration chart moved");
  assert.equal(later.iterationText, `${count(later.iteration)} / ${count(before.iteration_max)}`);

  // The policy holds: an injected inline script does not run and is reported.
  const injected = await page.evaluate(async () => {
    const s = document.createElement("script");
    s.textContent = "window.__inline = 1";
    document.body.append(s);
    await new Promise((r) => setTimeout(r, 100));
    return { ran: window.__inline === 1, violations: window.__csp.length };
  });
  assert.deepEqual(injected, { ran: false, violations: 1 });
  problems.splice(problems.findIndex((p) => p.includes("Content Security Policy")), 1);
  assert.deepEqual(problems, [], "no console errors, page errors or failed requests");
  assert.deepEqual(await foreignNodes(page), []);

  await page.screenshot({ path: path.join(ARTIFACTS, "status-page-desktop.png"), fullPage: true });
  if (process.env.LOKI_METRICS_BLESS === "1") {
    mkdirSync(path.join(ROOT, "docs", "images"), { recursive: true });
    copyFileSync(path.join(ARTIFACTS, "status-page-desktop.png"), path.join(ROOT, "docs", "images", "status-page.png"));
  }

  // Narrow: one column, nothing wider than the window.
  await page.setViewportSize({ width: 375, height: 800 });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `the page is ${overflow}px wider than a 375px window`);
  await page.screenshot({ path: path.join(ARTIFACTS, "status-page-narrow.png"), fullPage: true });
  await ctx.close();

  // Dark and light: the colours follow the system's scheme, and text stays readable.
  for (const scheme of ["dark", "light"]) {
    const c = await browser.newContext({ colorScheme: scheme, viewport: { width: 1280, height: 900 } });
    const { page: p, problems: pr } = await open(c, `http://127.0.0.1:${port}/`);
    const colours = await p.evaluate(() => {
      const rgb = (s) => s.match(/\d+(\.\d+)?/g).slice(0, 3).map(Number);
      const luminance = ([r, g, b]) => (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255;
      const body = getComputedStyle(document.body);
      return { background: luminance(rgb(body.backgroundColor)), text: luminance(rgb(body.color)) };
    });
    if (scheme === "dark") assert.ok(colours.background < 0.2 && colours.text > 0.7, JSON.stringify(colours));
    else assert.ok(colours.background > 0.8 && colours.text < 0.3, JSON.stringify(colours));
    await p.screenshot({ path: path.join(ARTIFACTS, `status-page-${scheme}.png`) });
    assert.deepEqual(pr, []);
    await c.close();
  }

  // Without JavaScript the server's own rendering shows the same values.
  const noJs = await browser.newContext({ javaScriptEnabled: false });
  const { page: staticPage, problems: staticProblems } = await open(noJs, `http://127.0.0.1:${port}/`);
  const still = await readPage(staticPage);
  assert.equal(still.status, "running");
  assert.ok(still.iteration >= later.iteration, "the static page is a fresh rendering");
  assert.equal(still.iterationText, `${count(still.iteration)} / ${count(before.iteration_max)}`);
  assert.ok(Object.values(still.charts).every((p) => p.length > 0), "charts are drawn without JavaScript");
  assert.deepEqual(staticProblems, []);
  await noJs.close();
});

test("a hostile session renders as text: no element, attribute or script from it", async () => {
  const work = mkdtempSync(path.join(tmpdir(), "loki-hostile-"));
  const dir = path.join(work, ".loki");
  mkdirSync(path.join(dir, "metrics", "efficiency"), { recursive: true });
  mkdirSync(path.join(dir, "pids"), { recursive: true });
  const payload = `"><img src=x onerror="window.__pwned=1"></style><script>window.__pwned=2</script>\u0001\u001b[2J`;
  const long = payload + "A".repeat(10 * 1024);
  writeFileSync(path.join(dir, "dashboard-state.json"), JSON.stringify({
    mode: "autonomous", iteration: 3, timestamp: new Date().toISOString(),
    version: payload, provider: payload, phase: long, project: { name: long },
    tasks: { pending: [{}], inProgress: [], completed: [{}], failed: [] },
  }));
  writeFileSync(path.join(dir, "metrics", "efficiency", "iteration-1.json"),
    JSON.stringify({ cost_usd: 1.5, model: `<svg onload="window.__pwned=3">${"m".repeat(10 * 1024)}` }));
  writeFileSync(path.join(dir, "pids", `<img src=x onerror=window.__pwned=4>.json`), "not json");
  const port = await freePort();
  await startCli(["serve", "--loki-dir", dir, "--port", String(port), "--history-step", "0.5"], /listening on/);
  try {
    const ctx = await (await launch()).newContext({ viewport: { width: 1280, height: 900 } });
    const { page, problems } = await open(ctx, `http://127.0.0.1:${port}/`);
    // Let the script rewrite everything from the JSON once, too.
    await page.waitForFunction(() => Number(document.body.getAttribute("data-updates") || 0) >= 1, null, { timeout: 20000 });
    const seen = await page.evaluate(() => ({
      pwned: window.__pwned ?? null,
      scripts: document.scripts.length,
      images: document.images.length,
      project: document.querySelector("[data-field=project]").textContent,
      warnings: [...document.querySelectorAll("[data-warnings] li")].map((li) => li.textContent),
      models: [...document.querySelectorAll("[data-list=model_cost_usd] dt")].map((dt) => dt.textContent),
      csp: window.__csp,
    }));
    assert.equal(seen.pwned, null, "no hostile script ran");
    assert.equal(seen.scripts, 1, "only the page's own script");
    assert.equal(seen.images, 0);
    assert.ok(seen.project.startsWith(`"><img src=x onerror="window.__pwned=1"></style><script>`), "the name is text");
    assert.ok(seen.project.includes("\uFFFD[2J") || !seen.project.includes("\u001b"), "no raw escape character");
    assert.ok(seen.warnings.some((w) => w.includes("<img src=x onerror=window.__pwned=4>.json")), seen.warnings.join("\n"));
    assert.ok(seen.models.some((m) => m.includes("<svg onload")), `the model is text: ${seen.models}`);
    assert.deepEqual(seen.csp, []);
    assert.equal(await page.evaluate(() => document.querySelector("[data-meter=budget]").hidden), true, "no budget, no meter");
    assert.deepEqual(await foreignNodes(page), [], "no element or attribute from the data");
    for (const width of [1280, 375]) {
      await page.setViewportSize({ width, height: 900 });
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 0, `10 KB strings push the page ${overflow}px past a ${width}px window`);
    }
    await page.screenshot({ path: path.join(ARTIFACTS, "status-page-hostile.png") });
    assert.deepEqual(problems, []);
    await ctx.close();
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});
