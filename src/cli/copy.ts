// `copy-to-postgres <postgres-url>`: moves an installation from SQLite to PostgreSQL. Copies every
// table of the SQLite database DATABASE_URL names (all but drizzle's record of migrations) into a
// PostgreSQL database, which is migrated first and must hold no rows.
//
// One process binds the service tables to one dialect (src/db/bind.ts), and this one has opened
// SQLite: the copy reads SQLite through the raw better-sqlite3 handle and writes PostgreSQL
// through its own pool, with plain parameterised INSERTs. Which columns there are, and how each
// value converts, comes from the two drizzle schemas (src/db/schema.ts and its twin
// src/db/schema.pg.ts, which have the same tables and property names): a SQLite value is read into
// its JS value by the SQLite column (JSON text parsed, 0/1 to a boolean) and written by the
// PostgreSQL column (jsonb, boolean), so that the app reads back the same values on both.
//
// Everything is written in one PostgreSQL transaction, which holds the app's write lock (so that
// no instance already started on the target writes meanwhile) and commits only when every table
// has as many rows as SQLite's; SQLite is read in one read transaction (a consistent snapshot,
// even while a server writes to it). Tables go parents first (foreign keys), rows of a table that
// references itself (organizations' parent) parents first too, a batch at a time, so that memory
// holds one batch. User triggers are off while copying, so that stored values stay as they were
// (customer_events' trigger would renumber `seq`), and identity sequences are moved past the
// copied values before commit. At the end the counts are compared again, outside the copy's
// transaction; any difference exits non-zero.
import { getTableColumns, getTableName, is, type Column } from "drizzle-orm";
import { getTableConfig, PgTable } from "drizzle-orm/pg-core";
import { SQLiteTable } from "drizzle-orm/sqlite-core";
import type BetterSqlite3 from "better-sqlite3";
import type { PoolClient } from "pg";
import { isPostgresUrl } from "../db/client";
import { migratePostgres, openPostgres, WRITE_LOCK } from "../db/pg";
import * as sqliteSchema from "../db/schema";
import * as pgSchema from "../db/schema.pg";
import { rateSummary } from "./progress";
import { intOption, UsageError, type Cli } from "./runtime";

/** Tables of SQLite that are not data: SQLite's own, and drizzle's record of applied migrations. */
const NOT_COPIED = (name: string) => name.startsWith("sqlite_") || name === "__drizzle_migrations";

/** At most this many rows per INSERT (fewer when their values would pass PostgreSQL's 65535 parameters). */
const DEFAULT_ROWS_PER_INSERT = 500;
const MAX_PARAMETERS = 65535;

/** A table with its columns paired by property name: the SQLite column reads, the PostgreSQL one writes. */
interface TablePlan {
  name: string;
  pg: PgTable;
  columns: { name: string; sqlite: Column; pg: Column }[];
  /** A single-column foreign key to the table itself (organizations.parent_id): rows go parents first. */
  selfReference: { column: string; references: string } | null;
}

/** A refusal to copy (the target is not empty, the schemas do not match): exit code 1, nothing written. */
class CopyRefused extends Error {}

const quote = (identifier: string) => `"${identifier.replace(/"/g, '""')}"`;
const plural = (n: number, word: string) => `${n.toLocaleString("en-US")} ${word}${n === 1 ? "" : "s"}`;

/** The tables to copy, in an order where every table comes after those it references. */
function plan(sqliteTables: Map<string, string[]>): TablePlan[] {
  const sqliteByName = new Map<string, SQLiteTable>();
  for (const table of Object.values(sqliteSchema)) if (is(table, SQLiteTable)) sqliteByName.set(getTableName(table), table);
  const pgByName = new Map<string, PgTable>();
  for (const table of Object.values(pgSchema)) if (is(table, PgTable)) pgByName.set(getTableName(table), table);

  const problems: string[] = [];
  const plans = new Map<string, TablePlan>();
  for (const [name, present] of sqliteTables) {
    const sqlite = sqliteByName.get(name);
    const pg = pgByName.get(name);
    if (!sqlite || !pg) {
      problems.push(`table ${name} is not in ${sqlite ? "src/db/schema.pg.ts" : "src/db/schema.ts"}`);
      continue;
    }
    const sqliteColumns = getTableColumns(sqlite);
    const columns = Object.entries(getTableColumns(pg)).map(([key, column]) => {
      const twin = sqliteColumns[key];
      if (!twin || twin.name !== column.name) problems.push(`column ${name}.${column.name} differs between the two schemas`);
      return { name: column.name, sqlite: twin, pg: column as Column };
    });
    // Data in a column the schema does not know would be lost: refuse rather than drop it.
    for (const column of present) {
      if (!columns.some((c) => c.name === column)) problems.push(`column ${name}.${column} of the SQLite database is not in the schema`);
    }
    for (const column of columns) {
      if (!present.includes(column.name)) problems.push(`column ${name}.${column.name} is missing from the SQLite database`);
    }
    const self = getTableConfig(pg).foreignKeys.map((fk) => fk.reference()).find((r) => r.foreignTable === pg && r.columns.length === 1);
    plans.set(name, { name, pg, columns, selfReference: self ? { column: self.columns[0].name, references: self.foreignColumns[0].name } : null });
  }
  if (problems.length > 0) throw new CopyRefused(`the SQLite database and the schemas do not match:\n  ${problems.join("\n  ")}`);

  // Parents first: a depth-first walk along foreign keys to other tables.
  const ordered: TablePlan[] = [];
  const state = new Map<string, "visiting" | "done">();
  const visit = (table: TablePlan) => {
    if (state.get(table.name) === "done") return;
    if (state.get(table.name) === "visiting") throw new CopyRefused(`foreign keys form a cycle through ${table.name}`);
    state.set(table.name, "visiting");
    for (const fk of getTableConfig(table.pg).foreignKeys) {
      const parent = plans.get(getTableName(fk.reference().foreignTable));
      if (parent && parent !== table) visit(parent);
    }
    state.set(table.name, "done");
    ordered.push(table);
  };
  for (const table of [...plans.values()].sort((a, b) => a.name.localeCompare(b.name))) visit(table);
  return ordered;
}

/** The SQL that reads a table's rows as arrays of column values, in a foreign-key-safe order. */
function selectRows(table: TablePlan): string {
  const columns = table.columns.map((c) => `t.${quote(c.name)}`).join(", ");
  const from = quote(table.name);
  if (!table.selfReference) return `select ${columns} from ${from} t order by t.rowid`;
  // Rows whose parent is absent (null) first, then each level below them.
  const { column, references } = table.selfReference;
  return (
    `with recursive level(key, depth) as (` +
    `select ${quote(references)}, 0 from ${from} where ${quote(column)} is null ` +
    `union all select c.${quote(references)}, level.depth + 1 from ${from} c join level on c.${quote(column)} = level.key) ` +
    `select ${columns} from ${from} t join level on t.${quote(references)} = level.key order by level.depth, t.rowid`
  );
}

export async function copyToPostgres(cli: Cli): Promise<number> {
  const target = cli.args[0];
  if (cli.db.dialect !== "sqlite") {
    throw new UsageError("copy-to-postgres copies a SQLite database (DATABASE_URL) into PostgreSQL; DATABASE_URL names a PostgreSQL database already");
  }
  if (!target || !isPostgresUrl(target) || cli.args.length > 1) {
    throw new UsageError("copy-to-postgres needs one PostgreSQL database to copy into: copy-to-postgres postgres://user@host:5432/database");
  }
  const rowsPerInsert = intOption(cli.options["batch-size"], "batch-size", DEFAULT_ROWS_PER_INSERT);
  const sqlite = cli.db.sqlite;
  const started = Date.now();

  const postgres = openPostgres(target, (error) => process.stderr.write(`PostgreSQL: ${error.message}\n`));
  const { pool } = postgres;
  try {
    try {
      await migratePostgres(postgres);
    } catch (error) {
      // Unreachable, refused, no such database: the server's own words (never the URL, which may hold a password).
      throw new CopyRefused(`the target database could not be opened and migrated: ${(error as Error).message}`);
    }

    // One read transaction: every table (and its count) from the same snapshot.
    sqlite.exec("BEGIN");
    const sourceCounts = new Map<string, number>();
    let tables: TablePlan[] = [];
    let client: PoolClient | undefined;
    let broken: Error | undefined;
    try {
      const names = sqlite.prepare("select name from sqlite_master where type = 'table' order by name").pluck().all() as string[];
      const present = new Map(
        names.filter((name) => !NOT_COPIED(name)).map((name) => [name, sqlite.prepare("select name from pragma_table_info(?)").pluck().all(name) as string[]]),
      );
      tables = plan(present);
      for (const table of tables) sourceCounts.set(table.name, sqlite.prepare(`select count(*) from ${quote(table.name)}`).pluck().get() as number);

      client = await pool.connect();
      await client.query("begin");
      try {
        // The app's write lock: instances on the target wait until the copy is committed.
        await client.query("select pg_advisory_xact_lock($1)", [WRITE_LOCK]);
        await assertEmpty(client);
        const withTriggers = await tablesWithUserTriggers(client);
        for (const name of withTriggers) await client.query(`alter table ${quote(name)} disable trigger user`);

        for (const table of tables) {
          const copied = await copyTable(sqlite, client, table, rowsPerInsert);
          const expected = sourceCounts.get(table.name)!;
          if (copied !== expected) throw new Error(`${table.name}: copied ${copied} rows of ${expected}; nothing was committed`);
          console.log(`${table.name}: ${plural(copied, "row")}`);
        }

        for (const name of withTriggers) await client.query(`alter table ${quote(name)} enable trigger user`);
        await moveSequences(client);
        await client.query("commit");
      } catch (error) {
        await client.query("rollback").catch((rollbackError: Error) => (broken = rollbackError));
        throw error;
      }
    } finally {
      client?.release(broken);
      if (sqlite.inTransaction) sqlite.exec("COMMIT");
    }

    // Verification: what PostgreSQL holds now, against what SQLite held.
    const differences: string[] = [];
    let total = 0;
    for (const table of tables) {
      const { rows } = await pool.query<{ n: string }>(`select count(*) as n from ${quote(table.name)}`);
      const copied = Number(rows[0].n);
      const expected = sourceCounts.get(table.name)!;
      total += copied;
      if (copied !== expected) differences.push(`${table.name}: SQLite ${expected}, PostgreSQL ${copied}`);
    }
    if (differences.length > 0) {
      process.stderr.write(`verification failed: row counts differ\n  ${differences.join("\n  ")}\n`);
      return 1;
    }
    console.log(`copied ${plural(tables.length, "table")} into PostgreSQL; row counts verified: ${rateSummary(total, Date.now() - started)}`);
    console.log("run the app with DATABASE_URL set to the PostgreSQL URL to use the copy");
    return 0;
  } catch (error) {
    if (!(error instanceof CopyRefused)) throw error;
    process.stderr.write(`copy-to-postgres: ${error.message}\n`);
    return 1;
  } finally {
    await pool.end();
  }
}

/** Refuses a target that holds any row (in any table of the public schema). */
async function assertEmpty(client: PoolClient): Promise<void> {
  const { rows: tables } = await client.query<{ name: string }>(
    "select table_name as name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE' order by table_name",
  );
  const filled: string[] = [];
  for (const { name } of tables) {
    const { rows } = await client.query<{ n: string }>(`select count(*) as n from ${quote(name)}`);
    const n = Number(rows[0].n);
    if (n > 0) filled.push(`${name} (${plural(n, "row")})`);
  }
  if (filled.length > 0) {
    throw new CopyRefused(
      `the target database is not empty: ${filled.join(", ")}. copy-to-postgres copies into an empty database only (a new one; it applies the migrations itself). Nothing was copied.`,
    );
  }
}

/** Tables of the public schema with triggers of their own (not the ones foreign keys use). */
async function tablesWithUserTriggers(client: PoolClient): Promise<string[]> {
  const { rows } = await client.query<{ name: string }>(
    `select distinct c.relname as name from pg_trigger t join pg_class c on c.oid = t.tgrelid join pg_namespace n on n.oid = c.relnamespace
     where n.nspname = 'public' and not t.tgisinternal order by 1`,
  );
  return rows.map((r) => r.name);
}

/** Moves every identity (or serial) sequence past the largest value copied into its column. */
async function moveSequences(client: PoolClient): Promise<void> {
  const { rows } = await client.query<{ table: string; column: string }>(
    `select table_name as table, column_name as column from information_schema.columns
     where table_schema = 'public' and (is_identity = 'YES' or column_default like 'nextval(%')`,
  );
  for (const { table, column } of rows) {
    await client.query(
      `select setval(pg_get_serial_sequence($1, $2), coalesce((select max(${quote(column)}) from ${quote(table)}), 0) + 1, false)`,
      [quote(table), column],
    );
  }
}

/** Copies one table a batch at a time; returns the number of rows written. */
async function copyTable(sqlite: BetterSqlite3.Database, client: PoolClient, table: TablePlan, rowsPerInsert: number): Promise<number> {
  const width = table.columns.length;
  const perInsert = Math.max(1, Math.min(rowsPerInsert, Math.floor(MAX_PARAMETERS / width)));
  const columnList = table.columns.map((c) => quote(c.name)).join(", ");
  const insertSql = (rows: number) => {
    const tuples: string[] = [];
    for (let r = 0; r < rows; r++) tuples.push(`(${table.columns.map((_, c) => `$${r * width + c + 1}`).join(", ")})`);
    return `insert into ${quote(table.name)} (${columnList}) values ${tuples.join(", ")}`;
  };
  const fullInsert = { name: `copy_${table.name}_${perInsert}`, text: insertSql(perInsert) };

  let copied = 0;
  let values: unknown[] = [];
  let rows = 0;
  const flush = async () => {
    if (rows === 0) return;
    // A full batch reuses one prepared statement; the last, shorter one is sent once.
    await client.query(rows === perInsert ? { ...fullInsert, values } : { text: insertSql(rows), values });
    copied += rows;
    values = [];
    rows = 0;
  };

  const statement = sqlite.prepare(selectRows(table)).raw(true);
  for (const row of statement.iterate() as IterableIterator<unknown[]>) {
    for (let c = 0; c < width; c++) values.push(convert(table, c, row[c]));
    rows += 1;
    if (rows === perInsert) await flush();
  }
  await flush();
  return copied;
}

/** A SQLite value as the PostgreSQL column stores it, by way of the JS value both schemas read. */
function convert(table: TablePlan, index: number, value: unknown): unknown {
  if (value === null || value === undefined) return null;
  const column = table.columns[index];
  let read: unknown;
  try {
    read = column.sqlite.mapFromDriverValue(value);
  } catch (error) {
    throw new Error(`${table.name}.${column.name}: cannot read ${JSON.stringify(value)?.slice(0, 100)} (${(error as Error).message})`);
  }
  return column.pg.mapToDriverValue(read);
}
