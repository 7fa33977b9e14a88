// Running drizzle query builders the same way on every driver: builders are thenables that resolve
// to rows on better-sqlite3 and node-postgres alike, while .get()/.all()/.run() exist on SQLite only.
import type { SQL } from "drizzle-orm";
import type { Db } from "./client";

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
  return db.all<Row>(query);
}
