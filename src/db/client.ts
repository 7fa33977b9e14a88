// The database a process works on: SQLite by default (this file), or PostgreSQL when DATABASE_URL
// is a postgres:// URL (./pg.ts). Both give services the same Database: committed reads, and write
// transactions that run one at a time, so that the event log's `seq` is gap-free in commit order.
//
// SQLite: one connection for writes (serialised, one transaction at a time) and one for reads,
// which in WAL mode sees only committed data, so that a request reading while another request's
// transaction is open never sees half a change.
import fs from "node:fs";
import path from "node:path";
import { AsyncLocalStorage } from "node:async_hooks";
import Database from "better-sqlite3";
import { drizzle, type BetterSQLite3Database } from "drizzle-orm/better-sqlite3";
import { migrate } from "drizzle-orm/better-sqlite3/migrator";
import { readMigrationFiles } from "drizzle-orm/migrator";
import * as schema from "./schema";
import { bindTables, type Dialect } from "./bind";
import type { Pool } from "pg";
import { openPostgresDatabase } from "./pg";
import { FALLBACK_PAGES, startBackgroundCheckpoints } from "./checkpoints";

export type Db = BetterSQLite3Database<typeof schema>;

/** Per-request statement counter, read into `extensions.sqlStatements`. */
export interface StatementScope {
  sqlStatements: number;
}
export const statementScope = new AsyncLocalStorage<StatementScope>();

export interface Snapshot {
  readonly read: Db;
  end(): Promise<void>;
}

interface DatabaseBase {
  readonly dialect: Dialect;
  /** Committed data; use for every read outside a transaction. */
  readonly read: Db;
  /**
   * Runs `fn` in one write transaction: it commits everything or nothing. Write transactions run
   * one at a time (on PostgreSQL, across every instance that shares the database).
   */
  transaction<T>(fn: (tx: Db) => Promise<T> | T): Promise<T>;
  /**
   * One consistent view of committed data (a read transaction) for a long read such as an export,
   * until `end()`.
   */
  snapshot(): Promise<Snapshot>;
  /**
   * On SQLite, moves everything in the write-ahead log into the database file and empties the
   * log, so that erased data left in old log frames is gone from disk too. Nothing to do on PostgreSQL.
   */
  checkpoint(): Promise<void>;
  /** Migrations not yet recorded as applied; rejects when the database does not answer. */
  migrationStatus(): Promise<{ applied: number; pending: number }>;
  close(): Promise<void>;
}

export interface SqliteDatabase extends DatabaseBase {
  readonly dialect: "sqlite";
  /** Raw handle of the write connection, for maintenance (backup) and bulk import. */
  readonly sqlite: Database.Database;
}

export interface PostgresDatabase extends DatabaseBase {
  readonly dialect: "postgres";
  /** The connection pool, for maintenance. */
  readonly pool: Pool;
}

export type Database = SqliteDatabase | PostgresDatabase;

/** Where a database reports what happens outside any request: a lost connection, a setting to fix. */
export interface DatabaseLog {
  error(object: { err: unknown }, message: string): void;
  warn(message: string): void;
}

/** True when `databaseUrl` names a PostgreSQL database rather than a SQLite file. */
export function isPostgresUrl(databaseUrl: string): boolean {
  return /^postgres(ql)?:\/\//i.test(databaseUrl);
}

/**
 * Opens the database `databaseUrl` names and applies pending migrations: a postgres:// URL selects
 * PostgreSQL; anything else is a SQLite file (or :memory:).
 */
export async function openDatabase(databaseUrl: string, log?: DatabaseLog): Promise<Database> {
  if (isPostgresUrl(databaseUrl)) return openPostgresDatabase(databaseUrl, log);
  return openSqlite(databaseUrl, log);
}

const PROJECT_ROOT = path.resolve(__dirname, "../../..");
export const SQLITE_MIGRATIONS = path.join(PROJECT_ROOT, "drizzle", "sqlite");

/** `file:./data/x.db`, `./data/x.db` or `:memory:` to a filename better-sqlite3 accepts. */
export function sqliteFilename(databaseUrl: string): string {
  if (databaseUrl === ":memory:" || databaseUrl === "file::memory:") return ":memory:";
  if (databaseUrl.startsWith("file://")) return new URL(databaseUrl).pathname;
  if (databaseUrl.startsWith("file:")) return databaseUrl.slice("file:".length);
  return databaseUrl;
}

function open(filename: string, options?: Database.Options): Database.Database {
  const sqlite = new Database(filename, options);
  sqlite.pragma("journal_mode = WAL");
  sqlite.pragma("foreign_keys = ON");
  sqlite.pragma("busy_timeout = 5000");
  sqlite.pragma("synchronous = NORMAL");
  // SQLite's lower() folds ASCII only; case-insensitive matching and sorting use this instead.
  sqlite.function("unicode_lower", { deterministic: true }, (v: unknown) => (typeof v === "string" ? v.toLowerCase() : v));
  cacheStatements(sqlite);
  return sqlite;
}

/** Prepared statements kept per connection; the least recently used is dropped beyond this. */
const STATEMENT_CACHE_SIZE = 500;

/**
 * drizzle prepares every statement it runs anew, and SQLite compiling the SQL is a good part of a
 * read's cost. The same SQL text gets the same compiled statement back, with its row mode reset
 * (drizzle switches statements to raw mode). A statement still iterating is never handed out twice.
 */
function cacheStatements(sqlite: Database.Database): void {
  const prepare = sqlite.prepare.bind(sqlite);
  const cache = new Map<string, Database.Statement>();
  sqlite.prepare = ((source: string) => {
    let statement = cache.get(source);
    if (statement && !statement.busy) {
      cache.delete(source);
      if (statement.reader) statement.raw(false).pluck(false).expand(false);
    } else {
      statement = prepare(source);
      if (cache.size >= STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value!);
    }
    cache.set(source, statement);
    return statement;
  }) as typeof sqlite.prepare;
}

/** Where reads of one connection share read transactions: see shareReadTransactions. */
interface SharedReads {
  /** Ends the shared read transaction (after a write commits, so that reads see it). */
  refresh(): void;
  /** A read transaction of its own until `end()` (an export's snapshot); reads share it meanwhile. */
  pin(): () => void;
}

/**
 * In autocommit mode every statement takes and drops SQLite's read lock on its own: a few system
 * calls, a good part of a small read. Here the statements that run in one turn of the event loop
 * (a request's reads usually do: better-sqlite3 is synchronous) share one read transaction, ended
 * when the turn's immediate callbacks run, or at once when a write of this process commits.
 * A read therefore never sees data older than the turn it runs in, nor older than this process's
 * own last write.
 */
function shareReadTransactions(reader: Database.Database): SharedReads {
  const begin = reader.prepare("BEGIN");
  const commit = reader.prepare("COMMIT");
  let pinned = false;
  let scheduled = false;
  const end = () => {
    if (pinned || !reader.open || !reader.inTransaction) return;
    try {
      commit.run();
    } catch {
      // A statement is still stepping through its rows: the next turn ends it.
      schedule();
    }
  };
  const release = () => {
    scheduled = false;
    end();
  };
  const schedule = () => {
    if (!scheduled) {
      scheduled = true;
      setImmediate(release);
    }
  };
  const enter = () => {
    if (!reader.inTransaction) {
      begin.run();
      schedule();
    }
  };
  aroundStatements(reader, (run) =>
    function (this: Database.Statement, ...args: unknown[]) {
      enter();
      return run.apply(this, args);
    },
  );
  return {
    refresh: end,
    pin() {
      end();
      if (reader.inTransaction) throw new Error("a read transaction is still open on the read connection");
      begin.run();
      // A deferred transaction takes its view at its first read: take it now.
      reader.prepare("select 1 from sqlite_master limit 1").get();
      pinned = true;
      return () => {
        pinned = false;
        end();
      };
    },
  };
}

/** The read connections of open SQLite databases (not in-memory ones, which read on the writer). */
const readConnections = new WeakMap<Database.Database, Database.Statement>();

/**
 * A number that changes whenever anything commits, as `db` sees it in this turn's read
 * transaction (SQLite's data_version, which moves when another connection, the writer included,
 * has committed since); null where there is none to rely on: PostgreSQL, an in-memory database,
 * or the write connection, which does not see its own commits move it.
 */
export function commitVersion(db: Db): number | null {
  const client = (db as { $client?: unknown }).$client;
  const statement = client instanceof Database ? readConnections.get(client) : undefined;
  return statement ? (statement.pluck().get() as number) : null;
}

/** Wraps the methods that run each statement `sqlite` prepares (once per statement). */
function aroundStatements(sqlite: Database.Database, wrap: (run: (...args: unknown[]) => unknown) => (...args: unknown[]) => unknown): void {
  const wrapped = new WeakSet<Database.Statement>();
  const prepare = sqlite.prepare.bind(sqlite);
  sqlite.prepare = ((source: string) => {
    const statement = prepare(source);
    if (!wrapped.has(statement)) {
      wrapped.add(statement);
      for (const method of ["all", "get", "iterate", "run"] as const) {
        (statement as unknown as Record<string, unknown>)[method] = wrap(statement[method] as (...args: unknown[]) => unknown);
      }
    }
    return statement;
  }) as typeof sqlite.prepare;
}

/** Runs the functions given to it one after another, each once the one before has settled. */
export function oneAtATime(): <T>(fn: () => Promise<T>) => Promise<T> {
  let tail: Promise<unknown> = Promise.resolve();
  return (fn) => {
    const result = tail.then(fn);
    tail = result.catch(() => undefined);
    return result;
  };
}

export const countingLogger = {
  logQuery(): void {
    const scope = statementScope.getStore();
    if (scope) scope.sqlStatements += 1;
  },
};

function openSqlite(databaseUrl: string, log?: DatabaseLog): SqliteDatabase {
  bindTables("sqlite");
  const filename = sqliteFilename(databaseUrl);
  const inMemory = filename === ":memory:";
  if (!inMemory) fs.mkdirSync(path.dirname(path.resolve(filename)), { recursive: true });

  const writer = open(filename);
  // Deleted content is overwritten with zeros, so that erased personal data does not linger in
  // free pages of the file.
  writer.pragma("secure_delete = ON");
  const write = drizzle(writer, { schema, logger: countingLogger });
  migrate(write, { migrationsFolder: SQLITE_MIGRATIONS });
  const expected = readMigrationFiles({ migrationsFolder: SQLITE_MIGRATIONS }).length;

  const checkpoints = inMemory
    ? null
    : startBackgroundCheckpoints(filename, (err) => log?.error({ err }, "background checkpoints stopped; commits checkpoint the log themselves"));
  if (checkpoints) writer.pragma(`wal_autocheckpoint = ${FALLBACK_PAGES}`);

  // An in-memory database exists only in its own connection, so it reads and writes through one.
  const reader = inMemory ? writer : open(filename);
  const shared = inMemory ? null : shareReadTransactions(reader);
  if (shared) readConnections.set(reader, reader.prepare("PRAGMA data_version"));
  // What commits on the write connection outside `transaction` (maintenance, a test's own SQL) is
  // as visible to the next read as what commits inside it, and is checkpointed alike.
  const committed = () => {
    shared?.refresh();
    checkpoints?.committed();
  };
  if (shared) {
    aroundStatements(writer, (run) =>
      function (this: Database.Statement, ...args: unknown[]) {
        const result = run.apply(this, args);
        if (!writer.inTransaction) committed();
        return result;
      },
    );
    const exec = writer.exec.bind(writer);
    writer.exec = (source: string) => {
      // Also before: a commit checkpoints the log as far as readers allow, and the shared read
      // transaction would hold it back.
      shared.refresh();
      exec(source);
      if (!writer.inTransaction) committed();
      return writer;
    };
  }
  const read = inMemory ? write : drizzle(reader, { schema, logger: countingLogger });

  const inTurn = oneAtATime();

  return {
    dialect: "sqlite",
    read,
    sqlite: writer,
    transaction<T>(fn: (tx: Db) => Promise<T> | T): Promise<T> {
      return inTurn(async () => {
        writer.exec("BEGIN IMMEDIATE");
        try {
          const result = await fn(write);
          writer.exec("COMMIT");
          return result;
        } catch (error) {
          if (writer.inTransaction) writer.exec("ROLLBACK");
          throw error;
        }
      });
    },
    async snapshot(): Promise<Snapshot> {
      // A read transaction on the read connection pins its view (WAL readers never block the
      // writer); other reads through this process's connection share that view meanwhile.
      if (!shared) {
        reader.exec("BEGIN");
        return {
          read,
          async end() {
            if (reader.inTransaction) reader.exec("COMMIT");
          },
        };
      }
      const unpin = shared.pin();
      return {
        read,
        async end() {
          unpin();
        },
      };
    },
    async migrationStatus() {
      const { applied } = reader.prepare("select count(*) as applied from __drizzle_migrations").get() as { applied: number };
      return { applied, pending: Math.max(0, expected - applied) };
    },
    async checkpoint(): Promise<void> {
      // The background checkpoint may hold the checkpoint lock for a moment: try again then.
      for (let attempt = 0; attempt < 50; attempt++) {
        const [{ busy }] = writer.pragma("wal_checkpoint(TRUNCATE)") as { busy: number }[];
        if (!busy || !checkpoints) return;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    async close(): Promise<void> {
      await checkpoints?.stop();
      shared?.refresh();
      if (reader !== writer) reader.close();
      writer.pragma("wal_checkpoint(TRUNCATE)");
      writer.close();
    },
  };
}
