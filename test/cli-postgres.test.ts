// The CLI on PostgreSQL, and moving an installation there: `copy-to-postgres` from a SQLite
// database that a server and the CLI have filled, then a server on the copy answering the same
// GraphQL queries with the same JSON as the server on SQLite (customers in every state, events
// with their ids and order, changes, organizations, API keys), and going on numbering events where
// SQLite stopped. Also: a target that holds rows is refused and left as it was; import (and the
// other commands) run on PostgreSQL and refuse a bad row with the same error as on SQLite.
//
// Needs TEST_POSTGRES_URL (a PostgreSQL server where it creates, and drops, databases of its own);
// skipped without it. One process opens one kind of database, so every database here is used by
// child processes only: the CLI, and servers (node dist/src/index.js).
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import BetterSqlite3 from "better-sqlite3";
import { createClient } from "graphql-ws";
import { Client as PgClient } from "pg";
import WebSocket from "ws";
import { CUSTOMER_SELECTION } from "../src/cli/customer-format";
import { runCli, type CliRun } from "./helpers";

const POSTGRES = process.env.TEST_POSTGRES_URL;
const skip = POSTGRES ? false : "TEST_POSTGRES_URL is not set (a PostgreSQL server where this test creates its own databases, e.g. postgres://postgres@127.0.0.1:5432/test)";

const SERVER = path.join(__dirname, "../src/index.js");
const ADMIN_KEY = `admin-${randomBytes(24).toString("hex")}`;
const admin = { authorization: `Bearer ${ADMIN_KEY}` };
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "customer-cli-pg-test-"));
const file = (name: string) => path.join(dir, name);

// ---- PostgreSQL databases of this file's own, dropped at the end. ----

const created: string[] = [];

async function onServer<T>(fn: (client: PgClient) => Promise<T>, database?: string): Promise<T> {
  const url = new URL(POSTGRES!);
  if (database) url.pathname = `/${database}`;
  const client = new PgClient({ connectionString: url.toString() });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** A new, empty PostgreSQL database; its URL. */
async function newPostgresDatabase(): Promise<string> {
  const name = `cg_clipg_${process.pid}_${randomBytes(4).toString("hex")}`;
  await onServer((client) => client.query(`create database "${name}"`));
  created.push(name);
  const url = new URL(POSTGRES!);
  url.pathname = `/${name}`;
  return url.toString();
}

const databaseOf = (url: string) => decodeURIComponent(new URL(url).pathname.slice(1));

async function pgRows<T = Record<string, unknown>>(url: string, sql: string, params: unknown[] = []): Promise<T[]> {
  return onServer(async (client) => (await client.query(sql, params)).rows as T[], databaseOf(url));
}

function sqliteRows<T = Record<string, unknown>>(file: string, sql: string, ...params: unknown[]): T[] {
  const db = new BetterSqlite3(file, { readonly: true });
  try {
    return db.prepare(sql).all(...params) as T[];
  } finally {
    db.close();
  }
}

/** Every row of every table of a PostgreSQL database (the app's tables), in a fixed order. */
async function pgSnapshot(url: string): Promise<Record<string, string[]>> {
  const tables = await pgRows<{ name: string }>(url, "select table_name as name from information_schema.tables where table_schema = 'public' order by 1");
  const snapshot: Record<string, string[]> = {};
  for (const { name } of tables) snapshot[name] = (await pgRows(url, `select * from "${name}"`)).map((r) => JSON.stringify(r)).sort();
  return snapshot;
}

async function pgCounts(url: string): Promise<Record<string, number>> {
  return Object.fromEntries(Object.entries(await pgSnapshot(url)).map(([name, rows]) => [name, rows.length]));
}

function sqliteCounts(file: string): Record<string, number> {
  const tables = sqliteRows<{ name: string }>(file, "select name from sqlite_master where type = 'table' and name not like 'sqlite_%' and name <> '__drizzle_migrations'");
  return Object.fromEntries(tables.map(({ name }) => [name, sqliteRows<{ n: number }>(file, `select count(*) as n from "${name}"`)[0].n]));
}

// ---- The CLI and servers as child processes. ----

type Run = CliRun;

/**
 * The environment for a child without the suite's REDIS_URL: these tests compare what one
 * database holds, and with Redis the idempotency records would be kept there instead.
 */
function ownEnv(): NodeJS.ProcessEnv {
  const { REDIS_URL: _redis, ...env } = process.env;
  return env;
}

const cli = (database: string, args: string[]): Promise<Run> => runCli(database, args, { env: ownEnv() });

async function ok(database: string, args: string[]): Promise<Run> {
  const run = await cli(database, args);
  assert.equal(run.code, 0, `cli ${args.join(" ")} failed (${run.code}):\n${run.stderr}`);
  return run;
}

const createdId = (run: Run, prefix: string) => new RegExp(`created (${prefix}_\\w+)`).exec(run.stdout)![1];

interface Server {
  url: string;
  gql<T = any>(query: string, variables?: Record<string, unknown>, headers?: Record<string, string>): Promise<{ data?: T; errors?: { message: string }[] }>;
  /** The data of a query that must succeed, with the admin key unless other headers are given. */
  data<T = any>(query: string, variables?: Record<string, unknown>, headers?: Record<string, string>): Promise<T>;
  stop(): Promise<void>;
}

const servers = new Set<ChildProcess>();

/** A server (node dist/src/index.js) on `database`, as an operator starts it. */
function startServer(database: string): Promise<Server> {
  const child = spawn(process.execPath, [SERVER], {
    env: {
      ...ownEnv(),
      DATABASE_URL: database,
      NODE_ENV: "test",
      PORT: "0",
      HOST: "127.0.0.1",
      LOG_LEVEL: "info",
      SEED_DEMO: "false",
      ADMIN_API_KEY: ADMIN_KEY,
      // The test's webhook endpoint is on this machine (and disabled: nothing is delivered).
      WEBHOOK_ALLOW_PRIVATE: "true",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  servers.add(child);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  let output = "";
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk;
      for (const line of output.split("\n")) {
        if (!line.includes("customer API ready")) continue;
        const url = (JSON.parse(line) as { url: string }).url;
        child.stdout!.off("data", onData);
        child.stdout!.resume();
        const gql: Server["gql"] = async (query, variables, headers = admin) => {
          const response = await fetch(url, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify({ query, variables }) });
          return (await response.json()) as any;
        };
        resolve({
          url,
          gql,
          async data(query, variables, headers) {
            const response = await gql(query, variables, headers);
            assert.equal(response.errors, undefined, `${query.slice(0, 80)}: ${JSON.stringify(response.errors)}`);
            return response.data as any;
          },
          async stop() {
            child.kill("SIGTERM");
            await exited;
            servers.delete(child);
          },
        });
        return;
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", (chunk) => (output += chunk));
    child.once("exit", (code) => reject(new Error(`server on ${database} exited (${code}) before it was ready:\n${output}`)));
  });
}

/** Asserts a mutation's payload has no user errors; gives the payload. */
async function mutate(server: Server, query: string, input: Record<string, unknown>, headers?: Record<string, string>): Promise<any> {
  const data = await server.data(query, { input }, headers);
  const payload = Object.values(data)[0] as { userErrors: unknown[] };
  assert.deepEqual(payload.userErrors, [], `${query.slice(0, 60)}: ${JSON.stringify(payload.userErrors)}`);
  return payload;
}

/** The events replayed by the customerEvents subscription after `after`, `count` of them. */
async function replayEvents(server: Server, after: string, count: number): Promise<{ id: string; type: string; customerId: string }[]> {
  const client = createClient({ url: server.url.replace(/^http/, "ws"), webSocketImpl: WebSocket, retryAttempts: 0, connectionParams: admin });
  try {
    return await new Promise((resolve, reject) => {
      const events: { id: string; type: string; customerId: string }[] = [];
      const timer = setTimeout(() => reject(new Error(`replay: ${events.length} of ${count} events within 10 s`)), 10_000);
      const dispose = client.subscribe<{ customerEvents: { id: string; type: string; customerId: string } }>(
        { query: "subscription ($after: ID) { customerEvents(after: $after) { id type customerId } }", variables: { after } },
        {
          next: (value) => {
            if (value.errors) return reject(new Error(JSON.stringify(value.errors)));
            events.push(value.data!.customerEvents);
            if (events.length === count) {
              clearTimeout(timer);
              dispose();
              resolve(events);
            }
          },
          error: (error) => {
            clearTimeout(timer);
            reject(error instanceof Error ? error : new Error(JSON.stringify(error)));
          },
          complete: () => {},
        },
      );
    });
  } finally {
    await client.dispose();
  }
}

// ---- What the two servers are asked. ----

const CUSTOMERS = /* GraphQL */ `
  query Customers($after: String) {
    customers(first: 20, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges {
        cursor
        node {
          ${CUSTOMER_SELECTION}
          events(first: 50) { totalCount edges { cursor node { id type customerId changedFields actor via occurredAt } } }
        }
      }
    }
  }
`;

const EVERYTHING_ELSE = /* GraphQL */ `
  query Rest($org: ID) {
    customerChanges(first: 1000) { hasMore next items { customerId changedAt erased customer { id version status } } }
    organizations(first: 100) {
      nodes { id name legalName countryCode dataCenter parent { id } registrationPolicy { requiredFields } createdAt updatedAt }
    }
    apiKeys(organizationId: $org) { id name prefix scopes tags createdAt expiresAt revokedAt organization { id } }
    webhookEndpoints { id url enabled eventTypes createdAt updatedAt disabledReason }
  }
`;

async function everything(server: Server, org: string) {
  const pages: unknown[] = [];
  let after: string | null = null;
  for (;;) {
    const page: any = await server.data(CUSTOMERS, { after });
    pages.push(page);
    if (!page.customers.pageInfo.hasNextPage) break;
    after = page.customers.pageInfo.endCursor;
  }
  return { pages, rest: await server.data(EVERYTHING_ELSE, { org }) };
}

const CREATE = `mutation ($input: CreateCustomerInput!) { createCustomer(input: $input) { customer { id } userErrors { code field message } } }`;

describe("cli on PostgreSQL", { skip }, () => {
  after(async () => {
    for (const child of servers) child.kill("SIGKILL");
    for (const name of created) await onServer((client) => client.query(`drop database if exists "${name}" with (force)`)).catch(() => undefined);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  describe("copy-to-postgres", () => {
    const source = file("source.db");
    let target = "";
    let holding = "";
    let bank = "";
    let apiKeySecret = "";
    let sqliteServer: Server;
    let copyRun: Run;

    before(async () => {
      // The CLI: organizations (a tree), seeded customers of every kind, an API key.
      holding = createdId(await ok(source, ["orgs", "create", "--name", "Holding", "--country", "GB", "--legal-name", "Holding plc"]), "org");
      bank = createdId(await ok(source, ["orgs", "create", "--name", "Bank", "--parent", holding, "--data-center", "UK_SOUTH"]), "org");
      await ok(source, ["seed", "--customers", "40", "--seed", "11", "--org", bank]);
      // An event log that does not start at 1 (as if older events had been pruned): the copy must
      // keep every seq as it is, not number the events afresh.
      const shift = new BetterSqlite3(source);
      shift.prepare("update customer_events set seq = seq + 1000").run();
      shift.close();
      apiKeySecret = /secret \(shown once, keep it safe\): (ck_\S+)/.exec((await ok(source, ["keys", "create", "--org", bank, "--scopes", "customers:read,customers:write", "--tags", "eu,ops"])).stdout)![1];

      // A server on SQLite: changes of every kind, so that every table has rows to copy.
      sqliteServer = await startServer(source);
      const s = sqliteServer;
      // A parent created after its child: rows of organizations are not in parent-first order by rowid.
      const group = (
        await mutate(s, `mutation ($input: CreateOrganizationInput!) { createOrganization(input: $input) { organization { id } userErrors { code message } } }`, {
          name: "Group",
          registrationPolicy: { requiredFields: ["EMAIL"] },
        })
      ).organization.id;
      await mutate(s, `mutation ($input: UpdateOrganizationInput!) { updateOrganization(input: $input) { organization { id } userErrors { code message } } }`, { id: holding, parentId: group });

      const seeded = (await s.data(`{ customers(first: 20) { nodes { id type documents(first: 1) { nodes { id } } } } }`)).customers.nodes;
      const [a, b, c, d, e] = seeded;
      const f = seeded.slice(5).find((x: any) => x.type === "PERSON");
      await mutate(s, `mutation ($input: UpdateCustomerInput!) { updateCustomer(input: $input) { customer { id } userErrors { code message } } }`, {
        id: a.id,
        nickname: "Ace",
        tags: ["moved", "vip"],
        riskLevel: "HIGH",
      });
      await mutate(s, `mutation ($input: DeactivateCustomerInput!) { deactivateCustomer(input: $input) { customer { id } userErrors { code message } } }`, { id: b.id, reason: "asked to pause" });
      await mutate(s, `mutation ($input: CustomerIdInput!) { archiveCustomer(input: $input) { customer { id } userErrors { code message } } }`, { id: c.id });
      await mutate(s, `mutation ($input: CustomerIdInput!) { eraseCustomer(input: $input) { erasedCustomerId userErrors { code message } } }`, { id: d.id });
      const withDocument = seeded.find((x: any) => x.documents.nodes.length > 0 && ![a.id, b.id, c.id, d.id].includes(x.id));
      if (withDocument) {
        await mutate(s, `mutation ($input: ReviewDocumentInput!) { reviewDocument(input: $input) { document { id } userErrors { code message } } }`, {
          documentId: withDocument.documents.nodes[0].id,
          status: "REJECTED",
          verificationResponse: "blurred",
        });
      }
      await mutate(s, `mutation ($input: WalletChallengeInput!) { requestWalletChallenge(input: $input) { challenge { id } userErrors { code message } } }`, {
        customerId: e.id,
        address: `0x${"ab".repeat(20)}`,
      });
      await mutate(s, `mutation ($input: SetTwoFactorTargetInput!) { setTwoFactorTarget(input: $input) { customer { id } userErrors { code message } } }`, {
        customerId: f.id,
        targetType: "EMAIL",
        targetValue: "second.factor@example.com",
      });
      await mutate(s, `mutation ($input: CustomerIdInput!) { startTwoFactorChallenge(input: $input) { challenge { id } userErrors { code message } } }`, { id: f.id });
      await mutate(
        s,
        CREATE,
        {
          type: "PERSON",
          organizationId: group,
          email: "ada@example.com",
          externalReference: "ADA-1",
          person: { firstName: { name: "Ada" }, lastName: { name: "Lovelace" }, dateOfBirth: "1985-12-10" },
          addresses: [{ purpose: "home", isPrimary: true, address: { country: "GB", city: "London", streetNumber: ["12", "b"], geoPosition: { latitude: 51.5, longitude: -0.12 } } }],
          tags: ["math"],
        },
        { ...admin, "idempotency-key": "copy-test-create-1" },
      );
      const key = await mutate(s, `mutation ($input: CreateApiKeyInput!) { createApiKey(input: $input) { apiKey { id } secret userErrors { code message } } }`, {
        organizationId: holding,
        name: "old key",
        scopes: ["customers:read"],
      });
      await mutate(s, `mutation ($input: IdInput!) { revokeApiKey(input: $input) { userErrors { code message } } }`, { id: key.apiKey.id });
      await mutate(s, `mutation ($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) { endpoint { id } userErrors { code message } } }`, {
        url: "http://127.0.0.1:9/customers",
        enabled: false,
        eventTypes: ["CREATED", "UPDATED"],
      });

      // The copy, while the SQLite server keeps running.
      target = await newPostgresDatabase();
      // Two rows per INSERT: many statements, so that a row inserted before its parent would fail
      // (PostgreSQL checks foreign keys at the end of each statement).
      copyRun = await cli(source, ["copy-to-postgres", target, "--batch-size", "2"]);
    });

    after(async () => {
      await sqliteServer?.stop();
    });

    test("copies every table, says how many rows each, and verifies the counts", () => {
      assert.equal(copyRun.code, 0, copyRun.stderr);
      const counts = sqliteCounts(source);
      for (const [table, n] of Object.entries(counts)) {
        assert.match(copyRun.stdout, new RegExp(`^${table}: ${n.toLocaleString("en-US")} rows?$`, "m"), `${table} reported`);
      }
      assert.match(copyRun.stdout, /row counts verified/);
      for (const table of ["organizations", "customers", "customer_events", "api_keys", "idempotency_records", "webhook_endpoints", "wallet_challenges", "documents", "memberships"]) {
        assert.ok(counts[table] > 0, `the source has ${table} rows to copy`);
      }
    });

    test("PostgreSQL holds the same rows: counts per table, event seq and ids, organizations parents first", async () => {
      const copied = await pgCounts(target);
      assert.deepEqual(copied, sqliteCounts(source));
      const events = (rows: { seq: number | string; id: string }[]) => rows.map((r) => `${Number(r.seq)} ${r.id}`);
      assert.equal(sqliteRows<{ seq: number }>(source, "select min(seq) as seq from customer_events")[0].seq, 1001);
      assert.deepEqual(
        events(await pgRows(target, "select seq, id from customer_events order by seq")),
        events(sqliteRows(source, "select seq, id from customer_events order by seq")),
      );
      // The trigger that numbers events is back on after the copy.
      const [trigger] = await pgRows<{ tgenabled: string }>(target, "select tgenabled from pg_trigger where tgname = 'customer_events_seq'");
      assert.equal(trigger.tgenabled, "O");
    });

    test("a server on the copy answers a full query with the same JSON as the server on SQLite", async () => {
      const pgServer = await startServer(target);
      try {
        const [onSqlite, onPostgres] = [await everything(sqliteServer, bank), await everything(pgServer, bank)];
        const listed = (onSqlite.pages as any[]).flatMap((page) => page.customers.edges);
        assert.ok(listed.length >= 38 && onSqlite.pages.length >= 2, `${listed.length} customers on ${onSqlite.pages.length} pages`);
        assert.deepEqual(onPostgres, onSqlite);
        const changes = (onSqlite.rest as any).customerChanges.items;
        assert.ok(changes.some((c: any) => c.erased), "an erased customer's tombstone is among the changes");

        // The event log replays in the same order from the same event ids.
        const first = sqliteRows<{ id: string }>(source, "select id from customer_events order by seq limit 1")[0].id;
        const total = sqliteRows<{ n: number }>(source, "select count(*) as n from customer_events")[0].n;
        const [replayedSqlite, replayedPostgres] = await Promise.all([replayEvents(sqliteServer, first, total - 1), replayEvents(pgServer, first, total - 1)]);
        assert.deepEqual(replayedPostgres, replayedSqlite);
        assert.deepEqual(
          replayedPostgres.map((e) => e.id),
          sqliteRows<{ id: string }>(source, "select id from customer_events order by seq").slice(1).map((r) => r.id),
        );

        // The API key made on SQLite authenticates on PostgreSQL, with its organization's view.
        const asKey = { authorization: `Bearer ${apiKeySecret}` };
        const viaKey = await pgServer.data(`{ customers(first: 1) { totalCount } }`, {}, asKey);
        assert.equal(viaKey.customers.totalCount, (await sqliteServer.data(`{ customers(first: 1) { totalCount } }`, {}, asKey)).customers.totalCount);

        // The next event on PostgreSQL is numbered right after the last one copied.
        const [{ max }] = await pgRows<{ max: string }>(target, "select max(seq) as max from customer_events");
        const { next } = (onPostgres.rest as any).customerChanges;
        const created = (await mutate(pgServer, CREATE, { type: "PERSON", organizationId: bank, person: { firstName: { name: "Grace" }, lastName: { name: "Hopper" } } })).customer.id;
        const [event] = await pgRows<{ seq: string; customer_id: string; type: string }>(target, "select seq, customer_id, type from customer_events order by seq desc limit 1");
        assert.deepEqual({ seq: Number(event.seq), customer: event.customer_id, type: event.type }, { seq: Number(max) + 1, customer: created, type: "CREATED" });
        const since = await pgServer.data(`query ($since: String) { customerChanges(since: $since) { items { customerId } hasMore } }`, { since: next });
        assert.deepEqual(since.customerChanges, { items: [{ customerId: created }], hasMore: false });
      } finally {
        await pgServer.stop();
      }
    });

    test("the export of the copy is the SQLite export, byte for byte", async () => {
      // The copy has one customer more by now (the test above): compare those the source has.
      const fromSqlite = (await ok(source, ["export"])).stdout;
      const fromPostgres = (await ok(target, ["export"])).stdout.split("\n").filter((line) => line && fromSqlite.includes(JSON.parse(line).id));
      assert.equal(fromPostgres.join("\n") + "\n", fromSqlite);
    });

    test("a target that holds rows is refused and left as it was", async () => {
      // The copy itself: every table filled.
      const before = await pgSnapshot(target);
      const again = await cli(source, ["copy-to-postgres", target]);
      assert.equal(again.code, 1);
      assert.match(again.stderr, /the target database is not empty: .*customers \(\d+ rows\)/);
      assert.match(again.stderr, /Nothing was copied/);
      assert.equal(again.stdout, "");
      assert.deepEqual(await pgSnapshot(target), before);

      // A database with a single organization in it.
      const other = await newPostgresDatabase();
      await ok(other, ["orgs", "create", "--name", "Already here"]);
      const one = await pgSnapshot(other);
      const refused = await cli(source, ["copy-to-postgres", other]);
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, /not empty: organizations \(1 row\)\./);
      assert.deepEqual(await pgSnapshot(other), one);
    });

    test("usage mistakes: no target, a target that is not PostgreSQL, a source that is PostgreSQL; a target that does not exist", async () => {
      const none = await cli(source, ["copy-to-postgres"]);
      assert.equal(none.code, 2);
      assert.match(none.stderr, /copy-to-postgres needs one PostgreSQL database/);
      const notPostgres = await cli(source, ["copy-to-postgres", file("other.db")]);
      assert.equal(notPostgres.code, 2);
      const fromPostgres = await cli(target, ["copy-to-postgres", target]);
      assert.equal(fromPostgres.code, 2);
      assert.match(fromPostgres.stderr, /names a PostgreSQL database already/);
      const missing = new URL(target);
      missing.pathname = `/${databaseOf(target)}_missing`;
      const unopened = await cli(source, ["copy-to-postgres", missing.toString()]);
      assert.equal(unopened.code, 1);
      assert.match(unopened.stderr, /^copy-to-postgres: the target database could not be opened and migrated: database ".*_missing" does not exist$/m);
      const help = await ok(source, ["--help"]);
      assert.match(help.stdout, /copy-to-postgres <postgres-url>/);
    });
  });

  describe("the other commands on PostgreSQL", () => {
    let pg = "";
    const sqlite = file("import-target.db");
    const input = file("rows.jsonl");

    /** A createCustomer input as a hand-written import row (no organization: the oldest one). */
    const row = (n: number, extra: Record<string, unknown> = {}) =>
      JSON.stringify({
        type: "PERSON",
        email: `person.${n}@example.com`,
        externalReference: `EXT-${n}`,
        person: { firstName: { name: `First${n}` }, lastName: { name: "Tester" } },
        addresses: [{ purpose: "home", address: { country: "DE", city: "Berlin" } }],
        ...extra,
      });

    before(async () => {
      pg = await newPostgresDatabase();
      await ok(pg, ["orgs", "create", "--name", "Target"]);
      await ok(sqlite, ["orgs", "create", "--name", "Target"]);
      fs.writeFileSync(
        input,
        [
          row(1),
          row(2, { email: "not-an-email" }),
          row(3),
          row(4, { externalReference: "EXT-1" }),
          row(5, { person: { lastName: { name: "Nobody" } } }),
          row(6),
        ].join("\n") + "\n",
      );
    });

    /** The error lines of an import's stderr (without the timing summary), new customers' ids left out. */
    const errors = (run: Run) =>
      run.stderr
        .split("\n")
        .filter((line) => line.startsWith("row "))
        .map((line) => line.replace(/cus_\w+/g, "cus_…"));

    test("import refuses bad rows with the same errors as on SQLite, and reject-all writes nothing", async () => {
      const onPostgres = await cli(pg, ["import", "--input", input]);
      const onSqlite = await cli(sqlite, ["import", "--input", input]);
      assert.equal(onPostgres.code, 1);
      assert.equal(onSqlite.code, 1);
      assert.deepEqual(errors(onPostgres), errors(onSqlite));
      assert.match(errors(onPostgres).join("\n"), /^row 2: INVALID email: /m);
      assert.match(errors(onPostgres).join("\n"), /^row 4: DUPLICATE externalReference: externalReference "EXT-1" is already used by cus_/m);
      assert.match(onPostgres.stderr, /nothing imported: 3 of 6 rows failed/);
      assert.deepEqual(await pgRows(pg, "select count(*)::int as n from customers"), [{ n: 0 }]);
      assert.deepEqual(await pgRows(pg, "select count(*)::int as n from customer_events"), [{ n: 0 }]);
    });

    test("import --error-policy skip-failed writes the good rows, as on SQLite", async () => {
      const onPostgres = await cli(pg, ["import", "--input", input, "--error-policy", "skip-failed"]);
      const onSqlite = await cli(sqlite, ["import", "--input", input, "--error-policy", "skip-failed"]);
      assert.equal(onPostgres.code, 1);
      assert.deepEqual(errors(onPostgres), errors(onSqlite));
      assert.match(onPostgres.stderr, /imported 3 of 6 rows, 3 failed/);
      const people = (rows: { email: string; external_reference: string }[]) => rows.map((r) => `${r.email} ${r.external_reference}`);
      const sql = "select email, external_reference from customers order by external_reference";
      assert.deepEqual(people(await pgRows(pg, sql)), people(sqliteRows(sqlite, sql)));
      assert.deepEqual(people(await pgRows(pg, sql)), ["person.1@example.com EXT-1", "person.3@example.com EXT-3", "person.6@example.com EXT-6"]);
      // Importing the same rows again: each is now taken.
      const twice = await cli(pg, ["import", "--input", input, "--error-policy", "skip-failed"]);
      assert.match(twice.stderr, /^row 1: DUPLICATE externalReference: /m);
      assert.match(twice.stderr, /imported 0 of 6 rows, 6 failed/);
    });

    test("seed, export, import --create-orgs, orgs and keys work on PostgreSQL; backup points to pg_dump", async () => {
      const seeded = await newPostgresDatabase();
      const org = createdId(await ok(seeded, ["orgs", "create", "--name", "Seeded", "--country", "DE"]), "org");
      const child = createdId(await ok(seeded, ["orgs", "create", "--name", "Branch", "--parent", org]), "org");
      assert.deepEqual(
        (await ok(seeded, ["orgs", "list"])).stdout.trim().split("\n").map((l) => l.split("\t")),
        [
          [org, "Seeded", "-"],
          [child, "Branch", org],
        ],
      );
      assert.match((await ok(seeded, ["seed", "--customers", "30", "--seed", "3"])).stdout, /seeded 30 customers/);
      const key = createdId(await ok(seeded, ["keys", "create", "--org", org, "--scopes", "customers:read"]), "key");
      assert.match((await ok(seeded, ["keys", "list"])).stdout, new RegExp(`^${key}\\t.*\\tactive$`, "m"));
      await ok(seeded, ["keys", "revoke", key]);
      assert.match((await ok(seeded, ["keys", "list"])).stdout, new RegExp(`^${key}\\t.*\\trevoked$`, "m"));
      assert.match((await ok(seeded, ["migrate"])).stdout, /migrations applied/);

      // Export as CSV, import into another PostgreSQL database with its organizations: the same customers.
      const csv = file("seeded.csv");
      await ok(seeded, ["export", "--format", "csv", "--output", csv]);
      const exported = (await ok(seeded, ["export"])).stdout;
      const copy = await newPostgresDatabase();
      assert.match((await ok(copy, ["import", "--input", csv, "--create-orgs"])).stderr, /imported 30 of 30 rows, 0 failed/);
      const comparable = (text: string) =>
        text
          .split("\n")
          .filter(Boolean)
          .map((line) => {
            const { updatedAt, updatedBy, updatedVia, verification, ...rest } = JSON.parse(line);
            void [updatedAt, updatedBy, updatedVia];
            return { ...rest, verification: { status: verification.status, level: verification.level } };
          });
      assert.deepEqual(comparable((await ok(copy, ["export"])).stdout), comparable(exported));

      const backup = await cli(seeded, ["backup", file("pg.db")]);
      assert.equal(backup.code, 2);
      assert.match(backup.stderr, /pg_dump/);
      assert.equal(fs.existsSync(file("pg.db")), false);
    });
  });
});
