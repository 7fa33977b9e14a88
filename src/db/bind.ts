// Which database this process runs on, and the table objects that go with it.
//
// Services import their tables from ./schema (the SQLite definitions, which also give them their
// types). When a process opens PostgreSQL, those bindings are pointed at ./schema.pg's twins
// before any query is built, so that the same service code builds PostgreSQL SQL: the two schemas
// have the same property names and read back the same JS values (test/pg-schema.test.ts). The
// compiled CommonJS reads an import at each use (`schema_1.customers`), so the new binding is seen
// everywhere. Code must therefore not keep a table's column at module load; build it when used.
//
// One process serves one dialect: opening the other one afterwards is refused.
import { is } from "drizzle-orm";
import { PgTable } from "drizzle-orm/pg-core";
import * as sqliteTables from "./schema";
import * as pgTables from "./schema.pg";

export type Dialect = "sqlite" | "postgres";

let bound: Dialect | null = null;

/** True when SQL built now is for PostgreSQL. */
export function onPostgres(): boolean {
  return bound === "postgres";
}

/** Points the shared table bindings at `dialect`'s tables; refuses to switch once chosen. */
export function bindTables(dialect: Dialect): void {
  if (bound === dialect) return;
  if (bound) throw new Error(`This process already opened a ${bound} database; one process serves one kind of database.`);
  bound = dialect;
  if (dialect === "sqlite") return;
  const exports = sqliteTables as unknown as Record<string, unknown>;
  for (const [name, table] of Object.entries(pgTables)) {
    if (is(table, PgTable)) exports[name] = table;
  }
}
