// SQL that differs between database engines lives here, so that services stay engine-agnostic.
import { sql, type SQL, type SQLWrapper } from "drizzle-orm";

/** True when a JSON array column holds any of `values`. */
export function jsonArrayHasAny(column: SQLWrapper, values: string[]): SQL {
  return sql`exists (select 1 from json_each(${column}) where json_each.value in ${values})`;
}

/** Escapes LIKE wildcards so that user text matches literally. */
export function likePattern(text: string): string {
  return `%${text.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** Unicode lower case (SQLite's own lower() folds ASCII only; see src/db/client.ts). */
export function lowerText(expr: SQLWrapper): SQL {
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
