// SQL that differs between database engines lives here, so that services stay engine-agnostic.
import { sql, type SQL, type SQLWrapper } from "drizzle-orm";
import { onPostgres } from "./bind";

/** True when a JSON array column holds any of `values`. */
export function jsonArrayHasAny(column: SQLWrapper, values: string[]): SQL {
  if (onPostgres()) return sql`${column} ?| ${sql.param(values)}::text[]`;
  return sql`exists (select 1 from json_each(${column}) where json_each.value in ${values})`;
}

/**
 * `column in (the list)`, with the whole list as one placeholder named `name`, so that one
 * prepared statement serves any number of values; pass the list through `listParameter`.
 */
export function inListParameter(column: SQLWrapper, name: string): SQL {
  if (onPostgres()) return sql`${column} = any(${sql.placeholder(name)}::text[])`;
  return sql`${column} in (select value from json_each(${sql.placeholder(name)}))`;
}

/** The value for an `inListParameter` placeholder: a PostgreSQL array, or JSON text on SQLite. */
export function listParameter(values: readonly string[]): unknown {
  return onPostgres() ? values : JSON.stringify(values);
}

/** Escapes LIKE wildcards so that user text matches literally. */
export function likePattern(text: string): string {
  return `%${text.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** Unicode lower case (SQLite's own lower() folds ASCII only; see src/db/client.ts). */
export function lowerText(expr: SQLWrapper): SQL {
  // PostgreSQL's lower() is Unicode-aware under a UTF-8 LC_CTYPE (see src/db/schema.pg.ts).
  if (onPostgres()) return sql`lower(${expr})`;
  return sql`unicode_lower(${expr})`;
}

/** Case-insensitive substring match of `expr` against user text. */
export function containsText(expr: SQLWrapper, text: string): SQL {
  return sql`${lowerText(expr)} like ${likePattern(text)} escape '\\'`;
}

/** Substring match against a column that is stored lower-cased already. */
export function containsLowered(expr: SQLWrapper, text: string): SQL {
  return sql`${expr} like ${likePattern(text)} escape '\\'`;
}
