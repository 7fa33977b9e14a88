// Database files of the benchmark: row counts, to check that the API and a raw baseline write the
// same rows, and checkpoints, so that a file can be copied on its own.
import Database from "better-sqlite3";

/** Rows per table, but the webhook worker's, which it writes on its own schedule. */
export function tableCounts(file: string): Map<string, number> {
  const db = new Database(file, { readonly: true });
  try {
    const tables = db
      .prepare("select name from sqlite_master where type = 'table' and name not like 'sqlite_%' and name not like '__drizzle%' and name not like 'webhook%' and name <> 'event_cursors'")
      .pluck()
      .all() as string[];
    return new Map(tables.map((t) => [t, db.prepare(`select count(*) from "${t}"`).pluck().get() as number]));
  } finally {
    db.close();
  }
}

/** Tables whose counts differ between two databases: "documents 11377 vs 11370, …"; empty when none. */
export function countDifferences(a: Map<string, number>, b: Map<string, number>): string {
  return [...new Set([...a.keys(), ...b.keys()])]
    .filter((t) => a.get(t) !== b.get(t))
    .map((t) => `${t} ${a.get(t) ?? "–"} vs ${b.get(t) ?? "–"}`)
    .join(", ");
}

/** Moves what is in the write-ahead log into the file, so that the file alone holds everything. */
export function checkpoint(file: string): void {
  const db = new Database(file);
  try {
    db.pragma("wal_checkpoint(TRUNCATE)");
  } finally {
    db.close();
  }
}
