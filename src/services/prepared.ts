// Write paths run a few fixed statement shapes all day, and drizzle building a statement's SQL
// costs more than SQLite running it. Here each shape is built and prepared once per connection
// (keyed by the drizzle instance, as the loaders do for reads), then only executed with new values.
import { getTableColumns, getTableName, sql, type Column, type SQL } from "drizzle-orm";
import type { SQLiteTable } from "drizzle-orm/sqlite-core";
import type { Db } from "../db/client";
import { executePrepared } from "../db/query";

/**
 * `build` run once per connection: a query prepared on the write connection must run there, and
 * the transaction hands out that connection's drizzle instance every time.
 */
export function perConnection<T>(build: (db: Db) => T): (db: Db) => T {
  const built = new WeakMap<Db, T>();
  return (db) => {
    let value = built.get(db);
    if (value === undefined) built.set(db, (value = build(db)));
    return value;
  };
}

type PreparedInsert = Parameters<typeof executePrepared>[0];

interface Shape {
  statement: PreparedInsert;
  /** The columns the placeholders stand for, in placeholder order within a row. */
  columns: Column[];
  keys: string[];
}

/** Shapes kept per connection; the oldest is dropped beyond this (each is only a rebuild away). */
const MAX_SHAPES = 300;
/** Rows per statement: bounds the number of shapes and stays far below SQLite's parameter limit. */
const MAX_ROWS = 25;

const shapesOf = perConnection(() => new Map<string, Shape>());

type Row = Record<string, unknown>;

/** The keys a row gives a value for: drizzle leaves undefined ones to the column default. */
function definedKeys(row: Row): string[] {
  return Object.keys(row).filter((k) => row[k] !== undefined);
}

function shapeFor(db: Db, table: SQLiteTable, keys: string[], rows: number, returning: boolean): Shape {
  const shapes = shapesOf(db);
  const signature = `${getTableName(table)}|${rows}|${returning ? "returning|" : ""}${keys.join(",")}`;
  let shape = shapes.get(signature);
  if (!shape) {
    const all = getTableColumns(table);
    const columns = keys.map((k) => {
      const column = all[k];
      if (!column) throw new Error(`${getTableName(table)} has no column ${k}`);
      return column;
    });
    // Each value is a bare placeholder (not drizzle's parameter, which would encode a null as
    // "null" in a JSON column or 0 in a boolean one); `encode` maps it as drizzle would.
    let n = 0;
    const placeholders = Array.from({ length: rows }, () =>
      Object.fromEntries(keys.map((k): [string, SQL] => [k, sql`${sql.placeholder(String(n++))}`])),
    ) as SQLiteTable["$inferInsert"][];
    const insert = db.insert(table).values(placeholders);
    const statement = (returning ? insert.returning().prepare() : insert.prepare()) as unknown as PreparedInsert;
    if (shapes.size >= MAX_SHAPES) shapes.delete(shapes.keys().next().value!);
    shapes.set(signature, (shape = { statement, columns, keys }));
  }
  return shape;
}

function encode(shape: Shape, rows: readonly Row[]): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  let n = 0;
  for (const row of rows) {
    for (let i = 0; i < shape.keys.length; i++) {
      const value = row[shape.keys[i]];
      values[n++] = value === null ? null : shape.columns[i].mapToDriverValue(value);
    }
  }
  return values;
}

/**
 * Inserts rows of one table, as `db.insert(table).values(rows)` would, with one statement per run
 * of rows that give the same columns (rows made by one function do).
 */
export async function insertRows<T extends SQLiteTable>(db: Db, table: T, rows: readonly T["$inferInsert"][]): Promise<void> {
  let start = 0;
  while (start < rows.length) {
    const keys = definedKeys(rows[start] as Row);
    const signature = keys.join(",");
    let end = start + 1;
    while (end < rows.length && end - start < MAX_ROWS && definedKeys(rows[end] as Row).join(",") === signature) end++;
    const run = rows.slice(start, end) as Row[];
    const shape = shapeFor(db, table, keys, run.length, false);
    await executePrepared(shape.statement, encode(shape, run));
    start = end;
  }
}

/** Inserts one row and returns it as stored (`.returning()`), with its defaults and generated keys. */
export async function insertRow<T extends SQLiteTable>(db: Db, table: T, row: T["$inferInsert"]): Promise<T["$inferSelect"]> {
  const shape = shapeFor(db, table, definedKeys(row as Row), 1, true);
  const [stored] = await executePrepared<T["$inferSelect"]>(shape.statement, encode(shape, [row as Row]));
  return stored;
}
