// The PostgreSQL client (node-postgres), chosen by a postgres:// DATABASE_URL (see ./client.ts).
// Migrations in drizzle/pg are generated from ./schema.pg.ts (`npm run db:generate:pg`) and
// applied on open, as SQLite's are.
//
// Write transactions are serialised across every instance by one transaction-level advisory lock,
// taken first thing in the transaction (like SQLite's BEGIN IMMEDIATE) and released at commit or
// rollback. That keeps the behaviour SQLite gives: optimistic concurrency checks and "is this
// taken" reads inside a transaction see every earlier commit, and customer events get `seq`
// values in commit order without gaps (a trigger, drizzle/pg/0001_event_seq.sql, numbers them
// max + 1 under the same lock). Reads run on the pool and never wait for writers.
import path from "node:path";
import { Pool, type PoolClient } from "pg";
import { drizzle, type NodePgDatabase } from "drizzle-orm/node-postgres";
import { migrate } from "drizzle-orm/node-postgres/migrator";
import { readMigrationFiles } from "drizzle-orm/migrator";
import { bindTables } from "./bind";
// ./client imports this file too: its values are used only inside functions, never at load.
import { countingLogger, oneAtATime, type DatabaseLog, type Db, type PostgresDatabase, type Snapshot } from "./client";
import * as schema from "./schema.pg";

export type PgDb = NodePgDatabase<typeof schema>;

export const PG_MIGRATIONS = path.resolve(__dirname, "../../../drizzle/pg");

/** The advisory lock every write transaction holds (any fixed number no other lock of ours uses). */
export const WRITE_LOCK = 8_000_002;

export interface Postgres {
  readonly db: PgDb;
  /** Ending it closes every connection; the caller owns it. */
  readonly pool: Pool;
}

/**
 * A connection pool on `url` (postgres://…) and a drizzle instance over it with the pg schema.
 * An idle connection the server ends (a restart, a dropped database) is reported to `onError` and
 * left by the pool, which opens another when needed; without a listener, node-postgres would
 * raise it as an uncaught exception and end the process.
 */
export function openPostgres(url: string, onError: (error: Error) => void = () => {}): Postgres {
  // TCP keepalive, so that a connection to a server that went away is noticed.
  const pool = new Pool({ connectionString: url, keepAlive: true });
  pool.on("error", onError);
  return { pool, db: drizzle(pool, { schema }) };
}

/** Advisory lock key held while migrating (any fixed number that no other lock of ours uses). */
const MIGRATION_LOCK = 8_000_001;

/**
 * Applies the migrations in drizzle/pg not yet recorded in drizzle.__drizzle_migrations (drizzle
 * runs them in one transaction). Instances starting together on one database take turns under an
 * advisory lock: drizzle's migrator does not lock, and two would both create the same tables. The
 * generated SQL names the public schema, so one database holds one deployment.
 */
export async function migratePostgres({ db, pool }: Postgres): Promise<void> {
  const lock = await pool.connect();
  try {
    await lock.query("select pg_advisory_lock($1)", [MIGRATION_LOCK]);
    try {
      await migrate(db, { migrationsFolder: PG_MIGRATIONS });
    } finally {
      await lock.query("select pg_advisory_unlock($1)", [MIGRATION_LOCK]);
    }
  } finally {
    lock.release();
  }
}

/**
 * A connection that runs one query at a time, in the order they were sent. Inside a transaction
 * (or a snapshot) every query must go to its one connection, and loaders batch theirs in parallel;
 * node-postgres queues them itself, but deprecates that and drops it in pg 9.
 */
function oneQueryAtATime(client: PoolClient): PoolClient {
  const query = client.query.bind(client) as (...args: unknown[]) => Promise<unknown>;
  const inTurn = oneAtATime();
  const queued = (...args: unknown[]) => inTurn(() => query(...args));
  return new Proxy(client, { get: (target, property) => (property === "query" ? queued : Reflect.get(target, property, target)) });
}

/**
 * Search folds case with lower(), which is Unicode-aware only under a UTF-8 LC_CTYPE; and SQLite
 * orders text by code point, as the C collations do. Another locale works, with a warning.
 */
async function localeWarning(pool: Pool): Promise<string | null> {
  const { rows } = await pool.query<{ collate: string; ctype: string }>(
    "select datcollate as collate, datctype as ctype from pg_database where datname = current_database()",
  );
  const { collate, ctype } = rows[0];
  const problems: string[] = [];
  if (!/utf-?8/i.test(ctype)) problems.push(`LC_CTYPE is ${ctype}, so search folds the case of ASCII letters only`);
  if (!/^(c|posix)(\.utf-?8)?$/i.test(collate)) problems.push(`LC_COLLATE is ${collate}, so names sort by that locale rather than by code point as on SQLite`);
  if (!problems.length) return null;
  return `PostgreSQL database locale: ${problems.join("; ")}. Create the database with LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8' (TEMPLATE template0).`;
}

/**
 * Opens a PostgreSQL database for the app: binds the service tables to the pg schema, applies
 * migrations, and gives the same Database as SQLite (see the top of this file).
 */
export async function openPostgresDatabase(url: string, log?: DatabaseLog): Promise<PostgresDatabase> {
  bindTables("postgres");
  const postgres = openPostgres(url, (err) => log?.error({ err }, "a database connection was lost"));
  const { pool } = postgres;
  try {
    await migratePostgres(postgres);
    const warning = await localeWarning(pool);
    if (warning) log?.warn(warning);
  } catch (error) {
    await pool.end();
    throw error;
  }
  const expected = readMigrationFiles({ migrationsFolder: PG_MIGRATIONS }).length;
  const read = drizzle(pool, { schema, logger: countingLogger }) as unknown as Db;

  // Per pooled connection: its queries one at a time, and one drizzle instance over it, so that
  // statements prepared per connection (src/services/prepared.ts) are kept while it lives.
  const connections = new WeakMap<PoolClient, { queued: PoolClient; db: Db }>();
  const connectionOf = (client: PoolClient) => {
    let connection = connections.get(client);
    if (!connection) {
      const queued = oneQueryAtATime(client);
      connections.set(client, (connection = { queued, db: drizzle(queued, { schema, logger: countingLogger }) as unknown as Db }));
    }
    return connection;
  };
  // A checked-out connection has no listener of the pool's: one the server ends mid-transaction
  // would otherwise be an uncaught error. The query in progress fails, and the connection is dropped.
  const checkOut = async (): Promise<{ client: PoolClient; done: (broken?: Error) => void }> => {
    const client = await pool.connect();
    let lost: Error | undefined;
    const onError = (err: Error) => {
      lost = err;
      log?.error({ err }, "a database connection was lost during a transaction");
    };
    client.on("error", onError);
    return {
      client,
      done: (broken) => {
        client.off("error", onError);
        client.release(broken ?? lost);
      },
    };
  };

  // Transactions of this process queue here before taking a connection: waiting for the lock
  // while holding pool connections would starve this process's reads.
  const inTurn = oneAtATime();

  return {
    dialect: "postgres",
    read,
    pool,
    transaction<T>(fn: (tx: Db) => Promise<T> | T): Promise<T> {
      return inTurn(async () => {
        const checkedOut = await checkOut();
        const { queued, db } = connectionOf(checkedOut.client);
        // A connection that could not roll back is destroyed rather than given back to the pool.
        let broken: Error | undefined;
        try {
          // READ COMMITTED whatever the server's default: each statement, and the seq trigger,
          // sees every transaction committed before the lock was granted. A session left idle in
          // the transaction (its instance cut off rather than dead) is ended by the server, so
          // that the other instances' writes do not wait for TCP to give up.
          await queued.query("begin isolation level read committed; set local idle_in_transaction_session_timeout = '60s'");
          await queued.query("select pg_advisory_xact_lock($1)", [WRITE_LOCK]);
          const result = await fn(db);
          await queued.query("commit");
          return result;
        } catch (error) {
          await queued.query("rollback").catch((rollbackError: Error) => (broken = rollbackError));
          throw error;
        } finally {
          checkedOut.done(broken);
        }
      });
    },
    async snapshot(): Promise<Snapshot> {
      const checkedOut = await checkOut();
      const { queued, db } = connectionOf(checkedOut.client);
      try {
        await queued.query("begin isolation level repeatable read read only");
      } catch (error) {
        checkedOut.done(error instanceof Error ? error : undefined);
        throw error;
      }
      return {
        read: db,
        async end() {
          try {
            await queued.query("commit");
            checkedOut.done();
          } catch (error) {
            checkedOut.done(error instanceof Error ? error : undefined);
            throw error;
          }
        },
      };
    },
    async migrationStatus() {
      const { rows } = await pool.query<{ applied: number }>("select count(*)::int as applied from drizzle.__drizzle_migrations");
      const applied = rows[0].applied;
      return { applied, pending: Math.max(0, expected - applied) };
    },
    async checkpoint(): Promise<void> {},
    async close(): Promise<void> {
      if (!pool.ended) await pool.end();
    },
  };
}
