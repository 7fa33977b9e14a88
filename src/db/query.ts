// Running drizzle query builders the same way on every driver: builders are thenables that resolve
// to rows on better-sqlite3 and node-postgres alike, while .get()/.all()/.run() exist on SQLite only.
import { Column, fillPlaceholders, is, SQL, Subquery } from "drizzle-orm";
import { commitVersion, type Db } from "./client";
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
  const rows = sqliteRows<Row>(statement, values);
  if (rows) return rows;
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

/** What a drizzle select prepared on better-sqlite3 holds (drizzle-orm/better-sqlite3's PreparedQuery). */
interface SqlitePreparedSelect {
  mode: "sync" | "async";
  executeMethod: string;
  stmt: { raw(toggle?: boolean): { all(...params: unknown[]): unknown[][] } };
  query: { sql: string; params: unknown[] };
  logger: { logQuery(sql: string, params: unknown[]): void };
  fields?: { path: string[]; field: unknown }[];
  joinsNotNullableMap?: Record<string, boolean>;
  customResultMapper?: unknown;
}

type RowMapper = (row: unknown[]) => unknown;
interface Decoder {
  mapFromDriverValue(value: unknown): unknown;
}

const mappers = new WeakMap<object, RowMapper | null>();
// Bound once: a compiled import is a property read through drizzle's export getters at every call.
const fillParameters = fillPlaceholders;

/**
 * The rows of a select prepared on better-sqlite3, as drizzle's own `all()` gives them, mapped by a
 * function made once per statement: drizzle's mapResultRow works out each column's decoder and
 * walks its path anew for every value, which costs more than SQLite reading the row. Null for any
 * other statement (PostgreSQL, writes, left joins, relational queries), which drizzle runs itself.
 */
function sqliteRows<Row>(statement: Prepared, values: Record<string, unknown> | undefined): Row[] | null {
  let mapper = mappers.get(statement);
  if (mapper === undefined) mappers.set(statement, (mapper = rowMapper(statement as unknown as SqlitePreparedSelect)));
  if (!mapper) return null;
  const { stmt, query, logger } = statement as unknown as SqlitePreparedSelect;
  const params = fillParameters(query.params, values ?? {});
  logger.logQuery(query.sql, params);
  return stmt.raw().all(...params).map(mapper) as Row[];
}

/** How drizzle reads a selected field's value: the column, or the decoder of an SQL expression. */
function decoderOf(field: unknown): Decoder {
  type Decoded = { decoder: Decoder };
  if (is(field, Column)) return field;
  if (is(field, SQL)) return (field as unknown as Decoded).decoder;
  if (is(field, Subquery)) return (field as unknown as { _: { sql: Decoded } })._.sql.decoder;
  return (field as unknown as { sql: Decoded }).sql.decoder;
}

function rowMapper(prepared: SqlitePreparedSelect): RowMapper | null {
  const { fields, joinsNotNullableMap } = prepared;
  if (prepared.mode !== "sync" || prepared.executeMethod !== "all" || !prepared.stmt || !fields || prepared.customResultMapper) return null;
  // A left join's missing side becomes null in drizzle's mapping; inner joins never do.
  if (joinsNotNullableMap && !Object.values(joinsNotNullableMap).every(Boolean)) return null;
  const columns = fields.map(({ path, field }) => {
    const decoder = decoderOf(field);
    // Most columns (text, plain integers) give the driver's value as it is: no call for those.
    const identity = decoder.mapFromDriverValue === Column.prototype.mapFromDriverValue;
    return { parents: path.slice(0, -1), key: path[path.length - 1], decoder: identity ? null : decoder };
  });
  // The mapper is written out as one object literal per row (as graphql-jit writes its executors):
  // every row gets the same shape at once, instead of growing property by property in a loop.
  type Node = Map<string, Node | number>;
  const tree: Node = new Map();
  for (const [i, { parents, key }] of columns.entries()) {
    let node = tree;
    for (const parent of parents) {
      let child = node.get(parent);
      if (!(child instanceof Map)) node.set(parent, (child = new Map()));
      node = child;
    }
    node.set(key, i);
  }
  const value = (i: number) => (columns[i].decoder ? `(row[${i}] === null ? null : decoders[${i}].mapFromDriverValue(row[${i}]))` : `row[${i}]`);
  const literal = (node: Node): string =>
    `{${[...node].map(([key, entry]) => `${JSON.stringify(key)}: ${typeof entry === "number" ? value(entry) : literal(entry)}`).join(", ")}}`;
  const decoders = columns.map((c) => c.decoder);
  // The source holds column indexes and quoted property names only ("__proto__" would not be one).
  if (columns.some((c) => [...c.parents, c.key].includes("__proto__"))) return null;
  return new Function("decoders", `return (row) => (${literal(tree)});`)(decoders) as RowMapper;
}

/** Values kept per read connection and key; the least recently computed is dropped beyond this. */
const MAX_KEPT = 200;
const keptByConnection = new WeakMap<object, Map<string, { version: number; value: unknown }>>();

/**
 * `compute()`'s value, kept until anything commits: while the database is as it was (see
 * commitVersion), the value computed from it is still exact. For what costs a scan, such as a
 * list's totalCount, asked again with every page. Computed every time where commits cannot be
 * seen this way (PostgreSQL, in-memory SQLite, the write connection).
 */
export async function untilNextCommit<T>(db: Db, key: string, compute: () => Promise<T>): Promise<T> {
  const version = commitVersion(db);
  if (version === null) return compute();
  const client = (db as unknown as { $client: object }).$client;
  let kept = keptByConnection.get(client);
  if (!kept) keptByConnection.set(client, (kept = new Map()));
  const hit = kept.get(key);
  if (hit && hit.version === version) return hit.value as T;
  // Computed in this same turn, so in the read transaction the version was read in.
  const value = await compute();
  kept.delete(key);
  if (kept.size >= MAX_KEPT) kept.delete(kept.keys().next().value!);
  kept.set(key, { version, value });
  return value;
}
