// Running drizzle query builders the same way on every driver: builders are thenables that resolve
// to rows on better-sqlite3 and node-postgres alike, while .get()/.all()/.run() exist on SQLite only.
import type { SQL } from "drizzle-orm";
import type { Db } from "./client";
import { onPostgres } from "./bind";

/** A select that can still be limited (drizzle's builder type drops `limit` once it is set). */
interface Limitable<Row> {
  limit(limit: number): PromiseLike<Row[]>;
}

/** The first row of a select (or undefined), fetching one row only. */
export async function first<Row>(query: Limitable<Row>): Promise<Row | undefined> {
  return (await query.limit(1))[0];
}

/** What a write without `returning` resolves to: better-sqlite3's RunResult or pg's QueryResult. */
type WriteResult = { changes: number } | { rowCount: number | null };

/** How many rows an insert, update or delete (without `returning`) changed. */
export async function changedRows(query: PromiseLike<WriteResult>): Promise<number> {
  const result = await query;
  return "changes" in result ? result.changes : (result.rowCount ?? 0);
}

/** The rows of a raw select (SQL the query builder cannot express, such as a recursive CTE). */
export async function queryRows<Row>(db: Db, query: SQL): Promise<Row[]> {
  if (onPostgres()) return (await (db as unknown as PgExecute).execute(query)).rows as Row[];
  return db.all<Row>(query);
}

interface PgExecute {
  execute(query: SQL): Promise<{ rows: unknown[] }>;
}

/** A statement prepared once by drizzle (a select, or an insert with or without `returning`). */
interface Prepared {
  execute(values?: Record<string, unknown>): PromiseLike<unknown> | { sync(): unknown };
}

/**
 * Runs a prepared statement with these placeholder values and gives its rows (none for a write
 * without `returning`). better-sqlite3 runs it at once and the rows come back synchronously;
 * node-postgres sends it to the server. Either way, `await` the result.
 */
export function executePrepared<Row>(statement: Prepared, values?: Record<string, unknown>): Row[] | Promise<Row[]> {
  const result = statement.execute(values);
  if ("sync" in result) return rowsOf<Row>(result.sync());
  return Promise.resolve(result).then(rowsOf<Row>);
}

const rowsOf = <Row>(result: unknown): Row[] => (Array.isArray(result) ? (result as Row[]) : []);

/** Statements kept per connection and shape; the least recently built is dropped beyond this. */
const MAX_PREPARED = 300;
const preparedByConnection = new WeakMap<Db, Map<string, Prepared>>();

/**
 * The statement `build` makes, built and prepared once per connection for each shape (`key`: what
 * the SQL text depends on), then only executed with new placeholder values. Building a query with
 * drizzle costs more than running it, and reads run the same few shapes all day.
 */
export function preparedStatement(db: Db, key: string, build: () => { prepare(): unknown }): Prepared {
  let prepared = preparedByConnection.get(db);
  if (!prepared) preparedByConnection.set(db, (prepared = new Map()));
  let statement = prepared.get(key);
  if (!statement) {
    statement = build().prepare() as Prepared;
    if (prepared.size >= MAX_PREPARED) prepared.delete(prepared.keys().next().value!);
    prepared.set(key, statement);
  }
  return statement;
}
