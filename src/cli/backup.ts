// An online backup: SQLite's backup API reads a consistent snapshot of the database (write-ahead
// log included) while a server keeps using it, and writes a standalone database file.
import fs from "node:fs";
import path from "node:path";
import { UsageError, type Cli } from "./runtime";

export async function backup(cli: Cli): Promise<number> {
  const target = cli.args[0];
  if (cli.db.dialect !== "sqlite") {
    throw new UsageError("backup copies a SQLite database; back up PostgreSQL with its own tools (pg_dump, or continuous archiving)");
  }
  if (!target) throw new UsageError("backup needs a file name: backup <file>");
  if (fs.existsSync(target)) throw new UsageError(`${target} exists; choose a new file name`);
  fs.mkdirSync(path.dirname(path.resolve(target)), { recursive: true });
  const started = Date.now();
  // All remaining pages in one step: one read transaction, so a concurrent writer cannot make the
  // copy restart (as it would between small steps).
  const { totalPages } = await cli.db.sqlite.backup(target, { progress: () => 0x7fffffff });
  const bytes = fs.statSync(target).size;
  console.log(`backed up to ${target}: ${bytes} bytes (${(bytes / 1048576).toFixed(1)} MiB, ${totalPages} pages) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return 0;
}
