// CORS: pages on the origins in CORS_ORIGINS may call /graphql (preflights answered, tokens in the
// Authorization header, never cookies) and open its WebSocket; pages elsewhere may not. Checked
// over HTTP as a browser would send it, and in Chromium from pages on other localhost origins.
import { test, after, before, describe } from "node:test";
import assert from "node:assert/strict";
import crypto from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import WebSocket from "ws";
import { loadConfig } from "../src/config";
import { browserAvailable, openBrowser } from "./browser";
import { createOrganization, startTestServer, tableCounts, type TestServer } from "./helpers";

const ADMIN_KEY = `admin_${crypto.randomBytes(24).toString("hex")}`;
const APP = "http://localhost:5173";

function preflight(server: TestServer, origin: string, headers = "authorization, content-type, idempotency-key") {
  return fetch(server.url, {
    method: "OPTIONS",
    headers: { origin, "access-control-request-method": "POST", "access-control-request-headers": headers },
  });
}

/** Whether a WebSocket upgrade with this Origin (none: no header) is accepted, or its HTTP status. */
function upgrade(server: TestServer, origin?: string): Promise<"open" | number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(server.url.replace("http", "ws"), "graphql-transport-ws", origin ? { origin } : {});
    ws.on("open", () => {
      ws.close();
      resolve("open");
    });
    ws.on("unexpected-response", (_req, res) => resolve(res.statusCode ?? 0));
    ws.on("error", (error) => reject(error));
  });
}

describe("CORS_ORIGINS", () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ CORS_ORIGINS: `${APP}, https://app.example.com:443` });
  });
  after(() => server.close());

  test("a preflight from an allowed origin is answered with the methods and headers a client needs, and no credentials", async () => {
    const res = await preflight(server, APP, "authorization, content-type, idempotency-key, apollo-require-preflight, x-request-id");
    assert.equal(res.status, 204);
    assert.equal(res.headers.get("access-control-allow-origin"), APP);
    const allowed = (res.headers.get("access-control-allow-headers") ?? "").split(/,\s*/);
    for (const header of ["authorization", "content-type", "idempotency-key", "apollo-require-preflight", "x-request-id"]) {
      assert.ok(allowed.includes(header), header);
    }
    assert.match(res.headers.get("access-control-allow-methods") ?? "", /GET.*POST/);
    assert.ok(Number(res.headers.get("access-control-max-age")) > 0);
    assert.equal(res.headers.get("access-control-allow-credentials"), null, "tokens, not cookies");
    assert.match(res.headers.get("vary") ?? "", /Origin/);
    // The configured default port is the browser's origin without it.
    assert.equal((await preflight(server, "https://app.example.com")).status, 204);
  });

  test("a preflight from any other origin is refused, and its responses carry no CORS headers", async () => {
    for (const origin of ["http://evil.example", "http://localhost:5174", "https://app.example.com:8443", "null"]) {
      const res = await preflight(server, origin);
      assert.equal(res.status, 403, origin);
      assert.equal(res.headers.get("access-control-allow-origin"), null);
    }
    const res = await fetch(server.url, { method: "POST", headers: { origin: "http://evil.example", "content-type": "application/json" }, body: '{"query":"{ __typename }"}' });
    assert.equal(res.headers.get("access-control-allow-origin"), null);
  });

  test("responses to an allowed origin expose Retry-After, Idempotent-Replayed and x-request-id", async () => {
    const res = await fetch(server.url, { method: "POST", headers: { origin: APP, "content-type": "application/json" }, body: '{"query":"{ __typename }"}' });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("access-control-allow-origin"), APP);
    assert.deepEqual((res.headers.get("access-control-expose-headers") ?? "").split(/,\s*/).sort(), ["idempotent-replayed", "retry-after", "x-request-id"]);
    assert.match(res.headers.get("vary") ?? "", /Origin/);
  });

  test("Apollo's CSRF prevention still refuses a request a browser would send without a preflight", async () => {
    const res = await fetch(`${server.url}?query=${encodeURIComponent("{ __typename }")}`, { headers: { origin: APP } });
    assert.equal(res.status, 400);
    assert.match(await res.text(), /Cross-Site Request Forgery/);
  });

  test("WebSocket upgrades: pages from other origins are refused; allowed origins, the server's own and non-browsers are not", async () => {
    assert.equal(await upgrade(server, "http://evil.example"), 403);
    assert.equal(await upgrade(server, APP), "open");
    assert.equal(await upgrade(server, new URL(server.url).origin), "open", "the explorer's own page");
    assert.equal(await upgrade(server), "open", "no Origin: not a browser");
  });
});

test("defaults: this machine's origins on any port outside production, none in production; * allows any", async () => {
  assert.deepEqual(loadConfig({ NODE_ENV: "production" }).CORS_ORIGINS, []);
  assert.deepEqual(loadConfig({ CORS_ORIGINS: "" }).CORS_ORIGINS, []);
  assert.deepEqual(loadConfig({ CORS_ORIGINS: "HTTPS://App.Example.com:443,http://localhost:*" }).CORS_ORIGINS, ["https://app.example.com", "http://localhost:*"]);
  assert.throws(() => loadConfig({ CORS_ORIGINS: "localhost:3000" }), /CORS_ORIGINS/);
  assert.throws(() => loadConfig({ CORS_ORIGINS: "https://app.example.com/path" }), /CORS_ORIGINS/);

  const development = await startTestServer();
  try {
    for (const origin of ["http://localhost:5173", "http://127.0.0.1:8080", "http://[::1]:3000", "http://localhost"]) {
      assert.equal((await preflight(development, origin)).status, 204, origin);
    }
    for (const origin of ["http://localhost.evil.example:5173", "https://evil.example", "http://localhost:5173.evil.example"]) {
      assert.equal((await preflight(development, origin)).status, 403, origin);
    }
  } finally {
    await development.close();
  }
  const production = await startTestServer({ NODE_ENV: "production", ADMIN_API_KEY: ADMIN_KEY });
  try {
    assert.equal((await preflight(production, "http://localhost:5173")).status, 403);
    assert.equal(await upgrade(production, "http://localhost:5173"), 403);
  } finally {
    await production.close();
  }
  const anyOrigin = await startTestServer({ CORS_ORIGINS: "*" });
  try {
    const res = await preflight(anyOrigin, "https://anywhere.example");
    assert.equal(res.status, 204);
    assert.equal(res.headers.get("access-control-allow-origin"), "*");
  } finally {
    await anyOrigin.close();
  }
});

/** The script of the pages served from the other origins: calls the API the way a web app would. */
const PAGE_SCRIPT = `
async function call(api, { body, method = "POST", params, headers = {}, credentials } = {}) {
  try {
    const url = params ? api + "?" + new URLSearchParams(params) : api;
    const init = method === "GET"
      ? { headers, credentials }
      : { method, headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body), credentials };
    const res = await fetch(url, init);
    return { status: res.status, requestId: res.headers.get("x-request-id"), body: await res.json() };
  } catch (error) {
    return { error: String(error) };
  }
}
async function sha256(text) {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}
function subscribe(api, authorization) {
  return new Promise((resolve) => {
    const ws = new WebSocket(api.replace("http", "ws"), "graphql-transport-ws");
    ws.onopen = () => ws.send(JSON.stringify({ type: "connection_init", payload: { authorization } }));
    ws.onmessage = (message) => { resolve(JSON.parse(message.data).type); ws.close(); };
    ws.onclose = (event) => resolve("closed " + event.code);
  });
}
`;

/** A plain web server for a page on another origin. */
async function pageServer(): Promise<{ origin: string; close(): Promise<void> }> {
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
    res.end(`<!doctype html><html><head><title>web app</title><script>${PAGE_SCRIPT}</script></head><body>web app</body></html>`);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    origin: `http://localhost:${(server.address() as AddressInfo).port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

test("in Chromium, a page on an allowed origin calls the API across origins (with a preflight, and APQ); a page on another origin cannot", { timeout: 120_000 }, async (t) => {
  if (!browserAvailable(t)) return;
  const app = await pageServer();
  const stranger = await pageServer();
  const api = await startTestServer({ CORS_ORIGINS: app.origin, ADMIN_API_KEY: ADMIN_KEY });
  // Playwright answers preflights itself while it routes requests: here they are only watched.
  const browser = await openBrowser({ intercept: false });
  try {
    await createOrganization(api, { name: "Cross Origin Bank" });
    const { page } = browser;
    const authorization = `Bearer ${ADMIN_KEY}`;
    await page.goto(`${app.origin}/`);

    // POST with the Authorization header: preflighted, then answered, with its exposed headers.
    const listed = await page.evaluate(
      ([url, auth]) => (globalThis as any).call(url, { body: { query: "{ organizations { nodes { name } } }" }, headers: { authorization: auth } }),
      [api.url, authorization],
    );
    assert.equal(listed.status, 200, JSON.stringify(listed));
    assert.deepEqual(listed.body.data.organizations.nodes, [{ name: "Cross Origin Bank" }]);
    assert.ok(listed.requestId, "x-request-id is readable");

    // APQ from the page: unknown hash, registration, then by hash over POST and over GET.
    const apq = await page.evaluate(async ([url, auth]) => {
      const w = globalThis as any;
      const query = "{ organizations { totalCount } }";
      const extensions = { persistedQuery: { version: 1, sha256Hash: await w.sha256(query) } };
      const headers = { authorization: auth };
      return {
        unknown: await w.call(url, { body: { extensions }, headers }),
        registered: await w.call(url, { body: { query, extensions }, headers }),
        byHash: await w.call(url, { body: { extensions }, headers }),
        overGet: await w.call(url, { method: "GET", params: { extensions: JSON.stringify(extensions) }, headers: { ...headers, "apollo-require-preflight": "true" } }),
      };
    }, [api.url, authorization]);
    assert.equal(apq.unknown.body.errors[0].extensions.code, "PERSISTED_QUERY_NOT_FOUND");
    for (const step of ["registered", "byHash", "overGet"] as const) {
      assert.deepEqual(apq[step].body.data, { organizations: { totalCount: 1 } }, `${step}: ${JSON.stringify(apq[step])}`);
    }

    // Cookies are not the credential here: a request that asks to include them is refused by the browser.
    const withCookies = await page.evaluate(
      ([url, auth]) => (globalThis as any).call(url, { body: { query: "{ __typename }" }, headers: { authorization: auth }, credentials: "include" }),
      [api.url, authorization],
    );
    assert.match(withCookies.error ?? "", /Failed to fetch/);
    assert.equal(await page.evaluate(([url, auth]) => (globalThis as any).subscribe(url, auth), [api.url, authorization]), "connection_ack");

    // A page on an origin not in CORS_ORIGINS: the preflight fails, so the mutation is never sent.
    const before = await tableCounts(api);
    await page.goto(`${stranger.origin}/`);
    const refused = await page.evaluate(
      ([url, auth]) =>
        (globalThis as any).call(url, {
          body: { query: 'mutation { createOrganization(input: { name: "Forged" }) { organization { id } } }' },
          headers: { authorization: auth },
        }),
      [api.url, authorization],
    );
    assert.match(refused.error ?? "", /Failed to fetch/, JSON.stringify(refused));
    assert.deepEqual(await tableCounts(api), before, "nothing was written");
    assert.match(await page.evaluate(([url, auth]) => (globalThis as any).subscribe(url, auth), [api.url, authorization]), /^closed/);

    assert.deepEqual(browser.offsite, [], "no request left this machine");
  } finally {
    await browser.close();
    await api.close();
    await app.close();
    await stranger.close();
  }
});
