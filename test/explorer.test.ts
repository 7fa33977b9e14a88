// The explorer: GraphiQL served by this server from node_modules, working with no network but
// this machine; its example operations are valid against the published schema.
import { test, after, before } from "node:test";
import assert from "node:assert/strict";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { buildSchema, getOperationAST, parse, validate, type OperationDefinitionNode } from "graphql";
import { getVariableValues } from "graphql/execution/values";
import { EXAMPLE_OPERATIONS } from "../src/server/explorer/examples";
import type { Locator, Page } from "playwright-core";
import { browserAvailable, openBrowser, type Browser } from "./browser";
import { onPostgres, payloadOf, startTestServer, type TestServer } from "./helpers";

const ADMIN_KEY = `admin_${crypto.randomBytes(24).toString("hex")}`;
let server: TestServer;

before(async () => {
  // Development with the demo data: the explorer sends the development key. Anonymous callers
  // are off, so that only that key can make the page's requests and subscriptions work.
  server = await startTestServer({ NODE_ENV: "development", SEED_DEMO: "true", ALLOW_ANONYMOUS: "false", ADMIN_API_KEY: ADMIN_KEY, });
});
after(() => server.close());

const asAdmin = { authorization: `Bearer ${ADMIN_KEY}` };

/** The page's asset URLs, from its <link> and <script src>. */
function assetUrls(html: string, base: string): string[] {
  return [...html.matchAll(/(?:href|src)="(\/graphql\/explorer\/[^"]+)"/g)].map((m) => new URL(m[1], base).href);
}

test("every example operation is valid against schema.graphql, and so are its variables", () => {
  const schema = buildSchema(fs.readFileSync(path.resolve(__dirname, "../../schema.graphql"), "utf8"));
  assert.ok(EXAMPLE_OPERATIONS.length >= 6);
  const names: string[] = [];
  for (const example of EXAMPLE_OPERATIONS) {
    const document = parse(example.query);
    assert.deepEqual(validate(schema, document).map((e) => e.message), [], example.query);
    const operations = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === "OperationDefinition");
    for (const operation of operations) {
      names.push(operation.name!.value);
      const coerced = getVariableValues(schema, getOperationAST(document, operation.name!.value)!.variableDefinitions ?? [], example.variables);
      assert.equal(coerced.errors, undefined, `${operation.name!.value}: ${coerced.errors?.map((e) => e.message).join("; ")}`);
    }
  }
  for (const flow of ["ListCustomers", "SearchCustomers", "CustomerById", "CreateCustomer", "UpdateCustomer", "OnboardCustomer", "DeactivateCustomer", "CustomerEvents"]) {
    assert.ok(names.includes(flow), `an example for ${flow}`);
  }
});

test("a browser asking for /graphql gets the explorer page, whose files come from this server with long-lived caching", async () => {
  const res = await fetch(server.url, { headers: { accept: "text/html,application/xhtml+xml,*/*;q=0.8" } });
  assert.equal(res.status, 200);
  assert.match(res.headers.get("content-type") ?? "", /text\/html/);
  assert.equal(res.headers.get("cache-control"), "no-store", "the page carries the development key");
  assert.match(res.headers.get("content-security-policy") ?? "", /default-src 'none'.*connect-src 'self'/);
  const html = await res.text();
  assert.doesNotMatch(html, /https?:\/\//, "nothing on another host");
  // Kept beside a SQLite file; with PostgreSQL only the log of the first start shows it.
  const devKey = onPostgres
    ? /\(shown once\): (\S+?)"/.exec(server.logs.find((line) => line.includes("development API key")) ?? "")?.[1] ?? "(no key logged)"
    : fs.readFileSync(path.join(server.dir, ".dev-api-key"), "utf8").trim();
  assert.ok(html.includes(devKey), "the development key is in the page");

  const urls = assetUrls(html, server.url);
  assert.deepEqual(urls.map((u) => path.basename(u)).sort(), ["graphiql.css", "graphiql.js", "start.js"]);
  for (const url of [...urls, ...["editor.worker.js", "json.worker.js", "graphql.worker.js"].map((w) => new URL(w, urls[0]).href)]) {
    const asset = await fetch(url);
    assert.equal(asset.status, 200, url);
    assert.match(asset.headers.get("cache-control") ?? "", /immutable/);
    assert.match(asset.headers.get("content-type") ?? "", /text\/(javascript|css)/);
    assert.equal(asset.headers.get("content-encoding"), "gzip", "compressed for clients that accept it");
    assert.ok((await asset.arrayBuffer()).byteLength > 100);
  }
  const stale = await fetch(urls[0].replace(/explorer\/[^/]+\//, "explorer/0.0.0-old/"));
  assert.equal(stale.status, 404);

  // GraphQL clients still get GraphQL on GET.
  const get = await fetch(`${server.url}?query=${encodeURIComponent("{ __typename }")}`, {
    headers: { "apollo-require-preflight": "true", ...asAdmin },
  });
  assert.deepEqual(((await get.json()) as { data: unknown }).data, { __typename: "Query" });
});

test("in production the explorer is off unless EXPLORER=true, and then carries no key", async () => {
  const production = await startTestServer({ NODE_ENV: "production", ADMIN_API_KEY: ADMIN_KEY });
  try {
    const res = await fetch(production.url, { headers: { accept: "text/html" } });
    assert.doesNotMatch(res.headers.get("content-type") ?? "", /text\/html/);
    assert.doesNotMatch(await res.text(), /<html/i);
    const asset = await fetch(new URL("/graphql/explorer/x/graphiql.js", production.url));
    assert.doesNotMatch(asset.headers.get("content-type") ?? "", /javascript/);
  } finally {
    await production.close();
  }
  const enabled = await startTestServer({ NODE_ENV: "production", ADMIN_API_KEY: ADMIN_KEY, EXPLORER: "true" });
  try {
    const res = await fetch(enabled.url, { headers: { accept: "text/html" } });
    assert.equal(res.status, 200);
    assert.match(await res.text(), /"developmentKey":null/);
  } finally {
    await enabled.close();
  }
});

test("in a browser with no network but this machine, the explorer runs a query and shows a subscription's events", { timeout: 120_000 }, async (t) => {
  if (!browserAvailable(t)) return;
  const { browser, page, frames } = await openExplorer();
  try {
    // The example operations, one tab each, and the panels: docs, query builder, history, headers.
    const tabs = await page.locator(".graphiql-tab-button").allInnerTexts();
    assert.deepEqual(tabs, ["ListCustomers", "SearchCustomers", "CustomerByReference", "CreateCustomer", "UpdateCustomer", "OnboardCustomer", "CustomerEvents"]);
    for (const name of ["Show Documentation Explorer", "Show GraphiQL Explorer", "Show History"]) {
      assert.equal(await page.getByRole("button", { name }).count(), 1, name);
    }
    assert.equal(await page.getByRole("button", { name: "Headers" }).count(), 1);

    // The first tab runs as it is, with the development key (anonymous callers are off).
    await page.getByRole("button", { name: /^Execute query/ }).click();
    const response = page.locator(".graphiql-response");
    await shows(response, '"totalCount": 12');
    assert.match(await textOf(response), /"displayName": "Acme Corporation"/);

    // A subscription over graphql-ws on the same URL, authenticated with the development key.
    await openTab(page, "CustomerEvents", "subscription CustomerEvents(");
    await executeUntil(page, () => frames.some((f) => f.includes('"type":"subscribe"')), "the subscribe message", async () =>
      `frames: ${JSON.stringify(frames)}; active tab: ${await page.locator(".graphiql-tab-active").innerText()}; response: ${await textOf(response)}`);
    assert.match(connectionParams(frames).authorization ?? "", /^Bearer ck_/);
    await new Promise((r) => setTimeout(r, 300));
    const customer = payloadOf(await server.gql('{ customerByExternalReference(externalReference: "CRM-1001") { id } }', {}, asAdmin), "customerByExternalReference");
    const updated = payloadOf(
      await server.gql("mutation ($id: ID!) { updateCustomer(input: { id: $id, nickname: \"Seen in GraphiQL\" }) { userErrors { code } } }", { id: customer.id }, asAdmin),
      "updateCustomer",
    );
    assert.deepEqual(updated.userErrors, []);
    await shows(response, `"customerId": "${customer.id}"`);
    assert.match(await textOf(response), /"type": "UPDATED",[\s\S]*"changedFields": \[\s*"nickname"\s*\]/);

    // The query builder shows the operation as a tree of the schema's fields, selected or not.
    await page.getByRole("button", { name: "Show GraphiQL Explorer" }).click();
    const builder = page.locator(".graphiql-plugin");
    await builder.getByText("customerEvents", { exact: true }).waitFor();
    await builder.getByText("deactivationReason", { exact: true }).waitFor();
    // The history holds the operations run.
    await page.getByRole("button", { name: "Show History" }).click();
    await page.locator(".graphiql-history").getByText("ListCustomers").first().waitFor();
    await page.locator(".graphiql-history").getByText("CustomerEvents").first().waitFor();

    assert.deepEqual(browser.offsite, [], "no request left this machine");
    assert.deepEqual(browser.errors.filter((e) => /Content Security Policy|Failed to load/i.test(e)), []);
  } finally {
    await browser.close();
  }
});

test("an Authorization typed into the headers editor replaces the development key, over HTTP and WebSocket", { timeout: 120_000 }, async (t) => {
  if (!browserAvailable(t)) return;
  const { browser, page, frames } = await openExplorer();
  try {
    const sent: (string | undefined)[] = [];
    page.on("request", (request) => {
      if (request.method() === "POST") sent.push(request.headers().authorization);
    });
    const typeHeaders = async () => {
      await page.getByRole("button", { name: "Headers" }).click();
      // The editors: operation, variables (hidden now), headers.
      await page.locator(".graphiql-editor:not(.hidden)").nth(1).click();
      await page.keyboard.insertText(JSON.stringify({ Authorization: `Bearer ${ADMIN_KEY}` }));
    };

    await typeHeaders();
    sent.length = 0;
    await page.getByRole("button", { name: /^Execute query/ }).click();
    await shows(page.locator(".graphiql-response"), '"totalCount": 12');
    assert.deepEqual(sent, [`Bearer ${ADMIN_KEY}`], "the typed header alone, not beside the key");

    await openTab(page, "CustomerEvents", "subscription CustomerEvents(");
    await typeHeaders();
    await executeUntil(page, () => frames.some((f) => f.includes('"type":"connection_init"')), "the connection");
    assert.equal(connectionParams(frames).authorization, `Bearer ${ADMIN_KEY}`);
    assert.deepEqual(browser.offsite, []);
  } finally {
    await browser.close();
  }
});

/** Chromium on the explorer page, loaded, with the messages its WebSockets send. */
async function openExplorer(): Promise<{ browser: Browser; page: Page; frames: string[] }> {
  const browser = await openBrowser();
  try {
    const frames: string[] = [];
    browser.page.on("websocket", (ws) => ws.on("framesent", (frame) => frames.push(String(frame.payload))));
    await browser.page.goto(server.url);
    await browser.page.waitForSelector(".graphiql-container", { timeout: 60_000 });
    return { browser, page: browser.page, frames };
  } catch (error) {
    await browser.close();
    throw error;
  }
}

/** Switches to an example's tab, once it is the active one and its editor shows the document. */
async function openTab(page: Page, name: string, shown: string): Promise<void> {
  await page.getByRole("button", { name }).click();
  await page.locator(".graphiql-tab-active").getByText(name, { exact: true }).waitFor();
  await page.locator(".graphiql-query-editor").getByText(shown).waitFor();
}

/**
 * Clicks Execute until `condition` holds. Right after a tab switch GraphiQL may still hold the
 * previous tab's operation name for a moment (its state follows the editor on a debounce) and
 * answer "Cannot infer operation …" instead of running: a user would click again, and so does this.
 */
async function executeUntil(page: Page, condition: () => boolean, what: string, state?: () => Promise<string>): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    await page.getByRole("button", { name: /^Execute/ }).click();
    try {
      await waitFor(condition, what, state, attempt < 4 ? 3_000 : 15_000);
      return;
    } catch (error) {
      if (attempt >= 4) throw error;
      const stale = /Cannot infer operation/.test(await textOf(page.locator(".graphiql-response")));
      // Not the stale-name case: the click was taken, so wait the rest of the usual time.
      if (!stale) return waitFor(condition, what, state, 12_000);
    }
  }
}

/** The connectionParams of graphql-ws's connection_init. */
function connectionParams(frames: string[]): { authorization?: string } {
  const init = frames.find((f) => f.includes('"type":"connection_init"'));
  assert.ok(init, "a connection_init message");
  return JSON.parse(init).payload ?? {};
}

/** What an editor shows, with Monaco's non-breaking spaces as spaces. */
const textOf = async (pane: Locator) => (await pane.innerText()).replace(/\u00a0/g, " ");

/** Waits for text in the result pane; on timeout, fails with what the pane shows instead. */
async function shows(pane: Locator, text: string): Promise<void> {
  try {
    await pane.getByText(text).waitFor({ timeout: 30_000 });
  } catch {
    assert.fail(`the result pane does not show ${text}:\n${await textOf(pane)}`);
  }
}

async function waitFor(condition: () => boolean, what: string, state?: () => Promise<string>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${state ? `; ${await state()}` : ""}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
