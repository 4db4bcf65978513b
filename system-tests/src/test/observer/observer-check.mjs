// Drives Troupe Observer in a real browser (Debian's chromium through playwright-core), for ObserverIT.
// Usage: node observer-check.mjs URL SCREENSHOT
// Prints READY once the page shows the relay, its name and a live feed; then waits for a line on
// stdin (the test has sent an echo), and prints OK with the times at which the worker's spawn and
// EXIT appeared in the feed, after saving a screenshot. Any failure: a message and exit code 1.
import fs from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import readline from "node:readline";

// playwright-core is installed under TROUPE_PLAYWRIGHT (scripts/test.sh does it: .cache/playwright).
const { chromium } = createRequire(path.join(process.env.TROUPE_PLAYWRIGHT, "/"))("playwright-core");
const [url, screenshot] = process.argv.slice(2);
const profile = fs.mkdtempSync(path.join(os.tmpdir(), "troupe-chromium-"));
const browser = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.TROUPE_CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
});
try {
  const page = await browser.newPage();
  await page.goto(url);
  await page.waitForSelector('#nodes tr[data-node="relay"]', { timeout: 15000 });
  await page.waitForSelector('#names tr[data-name="relay"]', { timeout: 15000 });
  await page.waitForSelector("#status.live", { timeout: 15000 });
  // New rows only: the feed may already hold events from before the echo.
  const count = sel => page.evaluate(s => document.querySelectorAll(s).length, sel);
  const SPAWN = '#feed li[data-type="spawn"]';
  const EXIT = '#feed li[data-type="exit"][data-pid^="{app:processes"]';
  const [spawnsBefore, exitsBefore] = [await count(SPAWN), await count(EXIT)];
  console.log("READY");

  const lines = readline.createInterface({ input: process.stdin });
  await new Promise(resolve => lines.once("line", resolve));
  const sent = Date.now();
  const appears = (sel, before) => page.waitForFunction(([s, n]) => document.querySelectorAll(s).length > n,
    [sel, before], { timeout: 5000, polling: "raf" }).then(() => Date.now() - sent);
  const spawn = appears(SPAWN, spawnsBefore);
  const exit = appears(EXIT, exitsBefore);
  const [spawnMs, exitMs] = await Promise.all([spawn, exit]);
  await page.screenshot({ path: screenshot, fullPage: true });
  console.log(`OK spawn_ms=${spawnMs} exit_ms=${exitMs}`);
  lines.close();
} catch (e) {
  console.log("FAILED " + e.message);
  process.exitCode = 1;
} finally {
  await browser.close();
  fs.rmSync(profile, { recursive: true, force: true });
}
