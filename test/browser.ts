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

export async function openBrowser(): Promise<Browser> {
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
      // Besides the routes below: no name but this machine's even resolves.
      "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1",
    ],
  });
  const offsite: string[] = [];
  const errors: string[] = [];
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
  const page = context.pages()[0] ?? (await context.newPage());
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
