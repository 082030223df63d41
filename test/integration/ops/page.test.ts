/**
 * The live status page in a real headless browser (Debian's chromium, driven by
 * playwright-core): it loads from the control listener, shows the connected handlers, follows a
 * handler joining and leaving without a reload of the page, and folds a group of hundreds of
 * handlers into a summary that a filter opens. FERRY_STATUS_SCREENSHOT=FILE saves a screenshot
 * (docs/status-page.png is made so).
 */
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Publisher } from "zeromq";
import { stopAll } from "../../support/processes.js";
import { serialPublisher } from "../../support/serial-publisher.js";
import { ipcEndpoints, tempDir } from "../../support/tmp.js";
import { get } from "../frontend/harness.js";
import { startOpsFrontend, startTestHandler, until } from "./harness.js";

const CHROMIUM = "/usr/bin/chromium";
const CROWD = 250;

describe.skipIf(!existsSync(CHROMIUM))("the status page", () => {
  const tmp = tempDir("ferry-page-");
  let browser: Browser;
  beforeAll(async () => {
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
    });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await stopAll();
    tmp.cleanup();
  });

  it("shows handlers live as they join and leave, and folds hundreds of them", async () => {
    const eps = (name: string) => {
      mkdirSync(join(tmp.path, name));
      return ipcEndpoints(join(tmp.path, name));
    };
    const app = eps("app");
    const crowd = eps("crowd");
    const token = "page-test-token-0123456789";
    const fe = await startOpsFrontend(
      tmp.path,
      (port) => ({
        listeners: [{ port }],
        hosts: [
          {
            names: ["*"],
            routes: [
              { path: "/crowd", target: { kind: "handler", group: "crowd" } },
              { path: "/", target: { kind: "handler", group: "app" } },
            ],
          },
        ],
        groups: { app: { ...app }, crowd: { ...crowd } },
      }),
      { env: { FERRY_CONTROL_TOKEN: token } },
    );
    startTestHandler(app, { hid: "handler-one", interval: 200 });
    // Hundreds of handlers in one group: heartbeats from one socket, one per id.
    const pub = new Publisher({ linger: 0 });
    pub.connect(crowd.replies);
    const out = serialPublisher(pub);
    const beat = setInterval(() => {
      for (let i = 0; i < CROWD; i++)
        out.send("*", {
          kind: "heartbeat",
          hid: `crowd-${i}`,
          secret: Buffer.alloc(32, i % 251),
          capacity: 16,
          inflight: i % 5,
          interval: 500,
          agent: "crowd",
        });
    }, 300);
    let traffic = true;
    const load = (async () => {
      while (traffic) {
        await get(`${fe.url}/echo/page`).catch(() => undefined);
        await new Promise((r) => setTimeout(r, 15));
      }
    })();

    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    try {
      const errors: string[] = [];
      page.on("pageerror", (err) => errors.push(err.message));
      await page.goto(`${fe.control}/?token=${token}`);
      await page.locator('tr[data-hid="handler-one"]').waitFor({ timeout: 15_000 });
      expect(await page.locator("#fid").textContent()).toMatch(/^ferry-/);
      expect(await page.locator("#chart polyline").count()).toBe(2);

      // The crowd: folded into its summary line, every row there when opened.
      const crowdDetails = page.locator('details[data-handlers="crowd"]');
      await until("crowd listed", async () =>
        /250 handlers/.test((await crowdDetails.locator("summary").textContent()) ?? ""),
      );
      expect(await crowdDetails.getAttribute("open")).toBeNull();
      expect(await crowdDetails.locator("tr[data-hid]").count()).toBe(CROWD);
      await page.fill("#filter", "crowd-17");
      await until("filtered", async () =>
        /\(11 match\)/.test((await crowdDetails.locator("summary").textContent()) ?? ""),
      );
      expect(await crowdDetails.getAttribute("open")).not.toBeNull();
      await page.fill("#filter", "");

      // A handler joins, then leaves: the page follows by itself.
      const two = startTestHandler(app, { hid: "handler-two", interval: 200 });
      await page.locator('tr[data-hid="handler-two"]').waitFor({ timeout: 15_000 });
      await two.stop();
      await page
        .locator('tr[data-hid="handler-two"]')
        .waitFor({ state: "detached", timeout: 15_000 });
      expect(await page.locator('tr[data-hid="handler-one"]').count()).toBe(1);
      expect(await page.locator("#conn").getAttribute("class")).not.toBe("down");
      expect(errors).toEqual([]);

      const shot = process.env.FERRY_STATUS_SCREENSHOT;
      if (shot) {
        await new Promise((r) => setTimeout(r, 20_000)); // some history for the chart
        await page.screenshot({ path: shot, fullPage: false });
      }
    } finally {
      traffic = false;
      clearInterval(beat);
      await load;
      await page.close();
      pub.close();
    }
  }, 120_000);
});
