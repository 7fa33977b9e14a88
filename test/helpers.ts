// Test harness: a real server on a random port over a fresh database (a SQLite file, or with
// TEST_DIALECT=postgres a PostgreSQL database), a GraphQL client that talks to it over HTTP as any
// client would, and raw SQL on either engine for what the API does not show.
import "reflect-metadata";
import { createHash, randomBytes } from "node:crypto";
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Writable } from "node:stream";
import type { Client } from "graphql-ws";
import BetterSqlite3 from "better-sqlite3";
import { Client as PgClient, Pool, types as pgTypes, type QueryResult } from "pg";
import pino from "pino";
import { loadConfig } from "../src/config";
import { startApp, type App } from "../src/server/app";
import { openDatabase, sqliteFilename, type Database } from "../src/db/client";
import type { CustomerEventRow } from "../src/db/schema";

export interface GraphQLResponse<T = any> {
  data?: T;
  errors?: { message: string; path?: string[]; extensions?: { code?: string; [k: string]: unknown } }[];
  extensions?: { sqlStatements?: number; [k: string]: unknown };
}

export interface TestServer {
  app: App;
  url: string;
  /** A temporary directory of this server's own (on SQLite, its database file is in it unless DATABASE_URL was given). */
  dir: string;
  /** The DATABASE_URL the server runs on: pass it to a second server to share the database. */
  databaseUrl: string;
  /** Everything the server logged, one JSON line each. */
  logs: string[];
  gql<T = any>(query: string, variables?: Record<string, unknown>, headers?: Record<string, string>): Promise<GraphQLResponse<T>>;
  close(): Promise<void>;
}

// ---- Which database engine the tests run on. ----

/** TEST_DIALECT=postgres runs the suite on PostgreSQL (TEST_POSTGRES_URL); SQLite otherwise. */
export const TEST_DIALECT: "sqlite" | "postgres" = process.env.TEST_DIALECT === "postgres" ? "postgres" : "sqlite";
export const onPostgres = TEST_DIALECT === "postgres";
/** The PostgreSQL server (any database on it) where each test database is created. */
export const TEST_POSTGRES_URL = process.env.TEST_POSTGRES_URL || "postgres://postgres@127.0.0.1:5432/test";

/**
 * A database for tests: a SQLite file in a temporary directory, or a fresh PostgreSQL database.
 * Servers started on its url (startTestServer({ DATABASE_URL: url })) hold it too; it is dropped
 * when the last holder releases it, and in any case before the process exits.
 */
export interface TestDatabase {
  readonly url: string;
  readonly dialect: "sqlite" | "postgres";
  release(): Promise<void>;
}

interface Held {
  refs: number;
  drop: () => Promise<void>;
}
/** Test databases of this process not yet dropped, by url. */
const held = new Map<string, Held>();

function holdOf(url: string, held$: Held): TestDatabase {
  let released = false;
  return {
    url,
    dialect: isPostgresUrl(url) ? "postgres" : "sqlite",
    async release() {
      if (released) return;
      released = true;
      held$.refs -= 1;
      if (held$.refs === 0 && held.get(url) === held$) {
        held.delete(url);
        await held$.drop();
      }
    },
  };
}

/**
 * Another hold on the test database at `url` (a no-op one for a url that is not a test database):
 * it stays until this is released too, e.g. while the only server on it restarts.
 */
export function holdDatabase(url: string): TestDatabase {
  const existing = held.get(url);
  if (!existing) return holdOf(url, { refs: 1, drop: async () => {} });
  existing.refs += 1;
  return holdOf(url, existing);
}

/** `base` (postgres://…/any) with its database replaced by `database`. */
function postgresUrl(database: string): string {
  const u = new URL(TEST_POSTGRES_URL);
  u.pathname = `/${database}`;
  return u.toString();
}

async function onAdmin<T>(fn: (client: PgClient) => Promise<T>): Promise<T> {
  const client = new PgClient({ connectionString: TEST_POSTGRES_URL });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

// Test databases are named cg_<host>_<pid>_<random>: one whose process is gone (killed, or crashed
// before dropping it) is dropped by the next run on the same machine.
const HOST_TAG = createHash("sha256").update(os.hostname()).digest("hex").slice(0, 6);
let swept = false;

async function sweepLeftovers(client: PgClient): Promise<void> {
  if (swept) return;
  swept = true;
  const { rows } = await client.query<{ datname: string }>("select datname from pg_database where datname like $1", [`cg\\_${HOST_TAG}\\_%`]);
  for (const { datname } of rows) {
    const pid = Number(datname.split("_")[2]);
    if (!Number.isInteger(pid) || pid === process.pid || processAlive(pid)) continue;
    await client.query(`drop database if exists "${datname}" with (force)`);
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * A fresh database for tests, empty (the app migrates it when it opens it): on SQLite a file
 * test.db in `dir` (or in a new temporary directory, removed with it), on PostgreSQL a new
 * database on TEST_POSTGRES_URL's server, dropped WITH (FORCE) when released.
 */
export async function createTestDatabase(options: { dir?: string } = {}): Promise<TestDatabase> {
  if (!onPostgres) {
    const dir = options.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), "customer-api-test-db-"));
    const url = path.join(dir, "test.db");
    const entry: Held = { refs: 1, drop: async () => fs.rmSync(dir, { recursive: true, force: true }) };
    held.set(url, entry);
    return holdOf(url, entry);
  }
  const name = `cg_${HOST_TAG}_${process.pid}_${randomBytes(6).toString("hex")}`;
  await onAdmin(async (client) => {
    await sweepLeftovers(client);
    await client.query(`create database "${name}"`);
  });
  return registerPostgres(name);
}

function registerPostgres(name: string): TestDatabase {
  const url = postgresUrl(name);
  const entry: Held = { refs: 1, drop: () => onAdmin(async (client) => void (await client.query(`drop database if exists "${name}" with (force)`))) };
  held.set(url, entry);
  return holdOf(url, entry);
}

/**
 * A new test database holding what `url` (a test database or any other) holds now. Nothing may be
 * connected to it meanwhile on PostgreSQL (CREATE DATABASE … TEMPLATE), nor writing to it on SQLite
 * (its file is copied; a closed SQLite database has its log checkpointed into the file).
 */
export async function copyTestDatabase(url: string): Promise<TestDatabase> {
  if (!isPostgresUrl(url)) {
    const copy = await createTestDatabase();
    fs.copyFileSync(sqliteFilename(url), copy.url);
    return copy;
  }
  const name = `cg_${HOST_TAG}_${process.pid}_${randomBytes(6).toString("hex")}`;
  const template = decodeURIComponent(new URL(url).pathname.slice(1));
  await onAdmin(async (client) => {
    await sweepLeftovers(client);
    await client.query(`create database "${name}" template "${template}"`);
  });
  return registerPostgres(name);
}

/**
 * A Database opened as the app opens it, on a fresh test database: in memory on SQLite, a new
 * database on PostgreSQL (one process serves one kind of database). Its close() also drops it.
 */
/** Runs `fn` on a SQLite database file of its own (opened as the app opens it), removed after. */
export async function withSqliteFile(fn: (db: Database, file: string) => Promise<void>): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sqlite-file-"));
  const file = path.join(dir, "test.db");
  const db = await openDatabase(file);
  try {
    await fn(db, file);
  } finally {
    await db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export async function openTestDatabase(): Promise<Database> {
  if (!onPostgres) return openDatabase(":memory:");
  const database = await createTestDatabase();
  let db: Database;
  try {
    db = await openDatabase(database.url);
  } catch (error) {
    await database.release();
    throw error;
  }
  const close = db.close;
  return {
    ...db,
    async close() {
      try {
        await close();
      } finally {
        await database.release();
      }
    },
  };
}

// Whatever a failed test left held is dropped before the process ends (the loop is empty then,
// so the servers on it are gone). beforeExit fires again after this work; it runs once.
let finalDrop = false;
process.on("beforeExit", () => {
  if (finalDrop || held.size === 0) return;
  finalDrop = true;
  const left = [...held.values()];
  held.clear();
  void Promise.allSettled(left.map((entry) => entry.drop()));
});

export async function startTestServer(env: Record<string, string> = {}): Promise<TestServer> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "customer-api-test-"));
  // A server given DATABASE_URL holds that database (dropped after the last holder closes);
  // otherwise it gets a fresh one of its own (on SQLite, dir/test.db).
  const database = env.DATABASE_URL ? holdDatabase(env.DATABASE_URL) : await createTestDatabase({ dir });
  const ownsDir = !(database.dialect === "sqlite" && database.url === path.join(dir, "test.db") && held.has(database.url));
  const release = async () => {
    await database.release();
    if (ownsDir) fs.rmSync(dir, { recursive: true, force: true });
  };
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      logs.push(...chunk.toString().split("\n").filter(Boolean));
      done();
    },
  });
  let app: App;
  try {
    const config = loadConfig({
      NODE_ENV: "test",
      PORT: "0",
      HOST: "127.0.0.1",
      SEED_DEMO: "false",
      ...env,
      DATABASE_URL: database.url,
    });
    app = await startApp(config, pino({ level: "info" }, sink));
  } catch (error) {
    await release();
    throw error;
  }
  // A test may close the app itself (to restart on its database, or to look at it closed); the
  // server's close() then only releases the database and the directory.
  const closeApp = app.close.bind(app);
  let appClosed: Promise<void> | undefined;
  app.close = () => (appClosed ??= closeApp());
  return {
    app,
    url: app.url,
    dir,
    databaseUrl: database.url,
    logs,
    async gql(query, variables, headers = {}) {
      const res = await fetch(app.url, {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body: JSON.stringify({ query, variables }),
      });
      return (await res.json()) as GraphQLResponse;
    },
    async close() {
      try {
        await app.close();
      } finally {
        await release();
      }
    },
  };
}

// ---- Raw SQL against the database under a server, on either engine. ----

/**
 * What raw SQL runs on: a test server, an app, a Database, or a DATABASE_URL (a SQLite file or a
 * postgres:// URL, opened for the one statement, as another process would).
 */
export type SqlTarget = TestServer | App | Database | string;

/** The parts of either Database shape that raw SQL needs (a missing dialect is SQLite). */
interface RawDatabase {
  dialect?: "sqlite" | "postgres";
  sqlite?: BetterSqlite3.Database;
  pool?: Pool;
}

function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//i.test(url);
}

/** Runs `fn` on the database of `target`; a url is opened for it and closed after. */
async function onRaw<T>(target: SqlTarget, write: boolean, fn: (db: RawDatabase) => Promise<T> | T): Promise<T> {
  if (typeof target !== "string") {
    const db = "app" in target ? target.app.db : "db" in target ? target.db : target;
    return fn(db as unknown as RawDatabase);
  }
  if (isPostgresUrl(target)) {
    const pool = new Pool({ connectionString: target, max: 1 });
    try {
      return await fn({ dialect: "postgres", pool });
    } finally {
      await pool.end();
    }
  }
  const sqlite = new BetterSqlite3(sqliteFilename(target), { readonly: !write, fileMustExist: true });
  try {
    return await fn({ dialect: "sqlite", sqlite });
  } finally {
    sqlite.close();
  }
}

/** True when `target` runs on PostgreSQL. */
export function isPostgres(target: SqlTarget): boolean {
  if (typeof target === "string") return isPostgresUrl(target);
  const db = "app" in target ? target.app.db : "db" in target ? target.db : target;
  return (db as unknown as RawDatabase).dialect === "postgres";
}

/** `?` placeholders (outside quotes) to PostgreSQL's $1..$n. */
export function postgresPlaceholders(text: string): string {
  let n = 0;
  let quote: string | null = null;
  let out = "";
  for (const ch of text) {
    if (quote) {
      if (ch === quote) quote = null;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
    } else if (ch === "?") {
      out += `$${++n}`;
      continue;
    }
    out += ch;
  }
  return out;
}

// bigint (count(*), seq) as a number, as SQLite gives it; everything else as node-postgres reads it.
const PG_INT8 = 20;
const PG_TYPES = {
  getTypeParser: ((oid: number, format?: "text" | "binary") =>
    oid === PG_INT8 && format !== "binary" ? (v: string) => Number(v) : pgTypes.getTypeParser(oid, format as "text")) as typeof pgTypes.getTypeParser,
};

async function pgQuery(pool: Pool, text: string, params: unknown[]): Promise<QueryResult> {
  return pool.query({ text: postgresPlaceholders(text), values: params, types: PG_TYPES });
}

/**
 * Rows of a query written with `?` placeholders, as the driver gives them: on PostgreSQL, booleans
 * are booleans (SQLite: 0/1) and JSON columns parsed (SQLite: text; see parsedJson); bigints and
 * counts are numbers on both. Column names are the SQL (snake_case) names.
 */
export async function sqlAll<T = any>(target: SqlTarget, text: string, ...params: unknown[]): Promise<T[]> {
  return onRaw(target, false, async (db) => {
    if (db.dialect === "postgres") return (await pgQuery(db.pool!, text, params)).rows as T[];
    return db.sqlite!.prepare(text).all(...params) as T[];
  });
}

/** The first row of a query, or undefined. */
export async function sqlGet<T = any>(target: SqlTarget, text: string, ...params: unknown[]): Promise<T | undefined> {
  return onRaw(target, false, async (db) => {
    if (db.dialect === "postgres") return (await pgQuery(db.pool!, text, params)).rows[0] as T | undefined;
    return db.sqlite!.prepare(text).get(...params) as T | undefined;
  });
}

/** Runs one statement; returns how many rows it changed. */
export async function sqlRun(target: SqlTarget, text: string, ...params: unknown[]): Promise<number> {
  return onRaw(target, true, async (db) => {
    if (db.dialect === "postgres") return (await pgQuery(db.pool!, text, params)).rowCount ?? 0;
    return db.sqlite!.prepare(text).run(...params).changes;
  });
}

/** Runs statements without parameters (DDL, several separated by semicolons). */
export async function sqlExec(target: SqlTarget, text: string): Promise<void> {
  await onRaw(target, true, async (db) => {
    if (db.dialect === "postgres") await db.pool!.query(text);
    else db.sqlite!.exec(text);
  });
}

/** A JSON column's value as read by sqlAll/sqlGet (text on SQLite, parsed on PostgreSQL), parsed. */
export function parsedJson(value: unknown): any {
  return typeof value === "string" ? JSON.parse(value) : value;
}

/** A boolean column's value as read by sqlAll/sqlGet (0/1 on SQLite), as a boolean. */
export function parsedBoolean(value: unknown): boolean | null {
  return value === null || value === undefined ? null : value === true || value === 1;
}

let triggers = 0;

/**
 * Makes every `on` (INSERT by default) of a row of `table` fail with `message`, in the middle of
 * whatever transaction writes it; `when` narrows it to rows matching a condition on NEW (OLD for
 * DELETE), e.g. "NEW.type = 'UPDATED'". Returns the undo. SQLite: a temporary trigger raising
 * ABORT on the write connection; PostgreSQL: a trigger function raising an exception.
 */
export async function failWrites(
  target: SqlTarget,
  table: string,
  message: string,
  options: { on?: "INSERT" | "UPDATE" | "DELETE"; when?: string } = {},
): Promise<() => Promise<void>> {
  const on = options.on ?? "INSERT";
  const name = `test_fail_${table}_${process.pid}_${++triggers}`;
  const literal = `'${message.replace(/'/g, "''")}'`;
  if (isPostgres(target)) {
    await sqlExec(
      target,
      `CREATE FUNCTION "${name}"() RETURNS trigger LANGUAGE plpgsql AS $fail$ BEGIN RAISE EXCEPTION USING MESSAGE = ${literal}; END $fail$;
       CREATE TRIGGER "${name}" BEFORE ${on} ON "${table}" FOR EACH ROW ${options.when ? `WHEN (${options.when})` : ""} EXECUTE FUNCTION "${name}"();`,
    );
    return () => sqlExec(target, `DROP TRIGGER "${name}" ON "${table}"; DROP FUNCTION "${name}"();`);
  }
  await sqlExec(
    target,
    `CREATE TEMP TRIGGER "${name}" BEFORE ${on} ON main."${table}" ${options.when ? `WHEN ${options.when}` : ""} BEGIN SELECT RAISE(ABORT, ${literal}); END`,
  );
  return () => sqlExec(target, `DROP TRIGGER temp."${name}"`);
}

/** Asserts a GraphQL response has no errors and returns its data. */
export function dataOf<T = any>(response: GraphQLResponse<T>): T {
  if (response.errors?.length) throw new Error(`GraphQL errors: ${JSON.stringify(response.errors)}`);
  if (!response.data) throw new Error("No data in response");
  return response.data;
}

export const CREATE_ORGANIZATION = /* GraphQL */ `
  mutation ($input: CreateOrganizationInput!) {
    createOrganization(input: $input) { organization { id name } userErrors { code field message } }
  }
`;

export async function createOrganization(server: TestServer, input: Record<string, unknown> = { name: "Test Org" }) {
  const data = dataOf(await server.gql(CREATE_ORGANIZATION, { input }));
  if (data.createOrganization.userErrors.length) throw new Error(JSON.stringify(data.createOrganization.userErrors));
  return data.createOrganization.organization as { id: string; name: string };
}

export const CUSTOMER_FIELDS = /* GraphQL */ `
  id type status displayName nickname email phone categorization tags externalReference riskLevel manager version
  createdAt createdBy createdVia updatedAt updatedBy updatedVia
  person {
    fullName gender dateOfBirth placeOfBirth nationality email hasPassword hasPinCode
    firstName { name order abbreviation language native prefix suffix }
    middleName { name } lastName { name native }
    telephoneNumbers { phoneType number country operator encoding purpose }
    secretQuestions { question }
  }
  company { legalName shortName registrationNumber countryCode }
  addresses {
    id purpose isPrimary
    address {
      country area zipCode city street streetNumber building apartment entrance floor doorNumber
      geoPosition { latitude longitude altitude } alternative { word1 word2 word3 }
      relatedTo { relationType address } additionalData { name type value }
    }
  }
  documents(first: 10) { totalCount nodes { id purpose documentType name location status metadata { name type value } expiresAt } }
  notificationPreferences { notificationType channel isEnabled }
  verification { status level }
  memberships { organization { id name } managementMode active }
`;

export const CREATE_CUSTOMER = /* GraphQL */ `
  mutation ($input: CreateCustomerInput!) {
    createCustomer(input: $input) {
      customer { ${CUSTOMER_FIELDS} }
      verification { status level }
      userErrors { code field message }
    }
  }
`;

export async function createCustomer(server: TestServer, input: Record<string, unknown>) {
  const data = dataOf(await server.gql(CREATE_CUSTOMER, { input }));
  if (data.createCustomer.userErrors.length) throw new Error(JSON.stringify(data.createCustomer.userErrors));
  return data.createCustomer.customer;
}

export function personInput(first: string, last: string, extra: Record<string, unknown> = {}) {
  return { type: "PERSON", person: { firstName: { name: first }, lastName: { name: last } }, ...extra };
}

/** The payload of the one root field `name`, after checking the response has no GraphQL errors. */
export function payloadOf(response: GraphQLResponse, name: string): any {
  const data = dataOf(response) as Record<string, any>;
  if (!data[name]) throw new Error(`response has no ${name}`);
  return data[name];
}

/** The application's tables (not drizzle's migration log), by name. */
async function tableNames(target: SqlTarget): Promise<string[]> {
  const rows = isPostgres(target)
    ? await sqlAll<{ name: string }>(
        target,
        "select table_name as name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE' and table_name not like '\\_\\_drizzle%' order by table_name",
      )
    : await sqlAll<{ name: string }>(
        target,
        "select name from sqlite_master where type = 'table' and name not like 'sqlite_%' and name not like '\\_\\_drizzle%' escape '\\' order by name",
      );
  return rows.map((r) => r.name);
}

/**
 * Every row of every table: proves that a refused request changed nothing at all. Rows are in a
 * fixed order of their content (each row carries its key), so that two snapshots are equal exactly
 * when the tables hold the same rows.
 */
export async function dbSnapshot(target: SqlTarget): Promise<Record<string, unknown[]>> {
  const snapshot: Record<string, unknown[]> = {};
  for (const name of await tableNames(target)) snapshot[name] = await tableRows(target, name);
  return snapshot;
}

/** Every row of `table`, in a fixed order of their content (as in dbSnapshot). */
export async function tableRows(target: SqlTarget, table: string): Promise<unknown[]> {
  const rows = await sqlAll(target, `select * from "${table}"`);
  return rows
    .map((row) => [JSON.stringify(row), row] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, row]) => row);
}

/** Row counts of every table, to prove that a refused mutation wrote nothing. */
export async function tableCounts(target: SqlTarget): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const name of await tableNames(target)) {
    counts[name] = Number((await sqlGet<{ n: number | string }>(target, `select count(*) as n from "${name}"`))!.n);
  }
  return counts;
}

/**
 * Collects `count` results of a graphql-ws subscription, then stops it. graphql-ws has no
 * "subscribed" acknowledgement: `ready` gives the server `settleMs` to start listening, and
 * `received(n)` waits (up to 5 s) until n results have come.
 */
export function collectSubscription<T = any>(
  client: Client,
  query: string,
  variables: Record<string, unknown>,
  count: number,
  settleMs = 150,
): { done: Promise<T[]>; ready: Promise<void>; received: (n: number) => Promise<void> } {
  const results: T[] = [];
  let dispose = () => {};
  const done = new Promise<T[]>((resolve, reject) => {
    dispose = client.subscribe<T>(
      { query, variables },
      {
        next: (value) => {
          if (value.errors) reject(new Error(JSON.stringify(value.errors)));
          results.push(value.data as T);
          if (results.length === count) {
            dispose();
            resolve(results);
          }
        },
        error: reject,
        complete: () => resolve(results),
      },
    );
  });
  const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
  const received = async (n: number) => {
    for (let i = 0; i < 250 && results.length < n; i++) await pause(20);
  };
  return { done, ready: pause(settleMs), received };
}

/** An UPDATED event row of `customerId`, as the event log holds it, for tests of the event streams. */
export function customerEventRow(seq: number, customerId: string): CustomerEventRow {
  return {
    seq,
    id: `event_${seq}`,
    organizationId: "org_1",
    type: "UPDATED",
    customerId,
    changedFields: ["nickname"],
    actor: "test",
    via: "API",
    occurredAt: new Date().toISOString(),
  };
}

/** What a CLI run printed, and how it exited. */
export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs the built CLI (dist/src/cli.js) on the database `databaseUrl` as an operator would, in a
 * process of its own; `stdin` is a file piped to it, `env` the environment it starts from.
 */
export function runCli(databaseUrl: string, args: string[], options: { stdin?: string; env?: NodeJS.ProcessEnv } = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(__dirname, "../src/cli.js"), ...args], {
      env: { ...(options.env ?? process.env), DATABASE_URL: databaseUrl, NODE_ENV: "test", LOG_LEVEL: "silent" },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
    if (options.stdin) fs.createReadStream(options.stdin).pipe(child.stdin);
    else child.stdin.end();
  });
}
