// Headless Chromium for the browser tests: Debian's chromium package driven by playwright-core,
// with a fresh profile, and every request to anything but this machine aborted and recorded, so
// that a test proves the pages need nothing from the internet.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { TestContext } from "node:test";
import { chromium, type BrowserContext, type Page } from "playwright-core";

export const CHROMIUM = "/usr/bin/chromium";
const LOCAL_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]"]);

/**
 * Whether the browser tests can run. Without Chromium they fail on CI (CI=true: .ci/run installs
 * it, so its absence is a broken setup), and are skipped, saying why, elsewhere.
 */
export function browserAvailable(t: TestContext): boolean {
  if (fs.existsSync(CHROMIUM)) return true;
  const why = `${CHROMIUM} is missing: install Debian's chromium package (apt-get install -y chromium)`;
  if (process.env.CI === "true" || process.env.CI === "1") throw new Error(`${why}; .ci/run should have installed it.`);
  t.skip(why);
  return false;
}

export interface Browser {
  context: BrowserContext;
  page: Page;
  /** Every request (HTTP or WebSocket) that was not for this machine; all of them were aborted. */
  offsite: string[];
  /** Console errors and uncaught page errors, CSP violations included. */
  errors: string[];
  close(): Promise<void>;
}

function isLocal(url: string): boolean {
  const { protocol, hostname } = new URL(url);
  return protocol === "data:" || protocol === "blob:" || LOCAL_HOSTS.has(hostname);
}

/**
 * A fresh headless Chromium. Requests elsewhere than this machine are refused twice over: by the
 * browser itself (names do not resolve, other addresses go to a closed proxy port) and, with
 * `intercept` (the default), by a route that aborts them. Tests of CORS pass intercept: false,
 * because while any route is set Playwright answers CORS preflights itself, allowing everything;
 * the requests are then only observed.
 */
export async function openBrowser(options: { intercept?: boolean } = {}): Promise<Browser> {
  const intercept = options.intercept ?? true;
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), "customer-api-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    // Wide enough for the explorer's tabs to show side by side.
    viewport: { width: 1800, height: 1000 },
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-quic",
      "--no-first-run",
      "--disable-component-update",
      "--disable-sync",
      // No name but this machine's resolves, and any other address goes to a closed port
      // (Chromium never sends loopback requests through a proxy).
      "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1",
      "--proxy-server=http://127.0.0.1:9",
    ],
  });
  const offsite: string[] = [];
  const errors: string[] = [];
  if (intercept) {
    await context.route("**/*", (route) => {
      const url = route.request().url();
      if (isLocal(url)) return route.continue();
      offsite.push(url);
      return route.abort("blockedbyclient");
    });
    await context.routeWebSocket(
      (url) => !isLocal(url.href),
      (ws) => {
        offsite.push(ws.url());
        void ws.close();
      },
    );
  } else {
    context.on("request", (request) => {
      if (!isLocal(request.url())) offsite.push(request.url());
    });
  }
  const page = context.pages()[0] ?? (await context.newPage());
  page.on("websocket", (ws) => {
    if (!intercept && !isLocal(ws.url())) offsite.push(ws.url());
  });
  page.on("console", (message) => {
    if (message.type() === "error") errors.push(message.text());
  });
  page.on("pageerror", (error) => errors.push(error.message));
  return {
    context,
    page,
    offsite,
    errors,
    async close() {
      await context.close();
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}
