// On SQLite the reads of one turn of the event loop share a read transaction (src/db/client.ts).
// What a client must still get: every write of this process is seen by the next read, and a write
// by another process is seen from the next turn on.
import { test } from "node:test";
import assert from "node:assert/strict";
import BetterSqlite3 from "better-sqlite3";
import { count, eq } from "drizzle-orm";
import type { Database } from "../src/db/client";
import { organizations } from "../src/db/schema";
import { onPostgres, withSqliteFile } from "./helpers";

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

const organizationCount = async (db: Database) => (await db.read.select({ n: count() }).from(organizations))[0].n;

function insertOrganization(id: string) {
  const now = new Date().toISOString();
  return { id, name: id, createdAt: now, updatedAt: now };
}

test("a write of this process is seen by the very next read, also in the same turn", { skip: onPostgres }, async () => {
  await withSqliteFile(async (db) => {
    const before = await organizationCount(db); // opens the turn's read transaction
    await db.transaction(async (tx) => {
      await tx.insert(organizations).values(insertOrganization("org_a"));
    });
    assert.equal(await organizationCount(db), before + 1);

    // Written on the write connection outside a transaction (maintenance, a test's own SQL).
    assert.equal(db.dialect, "sqlite");
    if (db.dialect !== "sqlite") return;
    db.sqlite.prepare("update organizations set name = 'renamed' where id = 'org_a'").run();
    const [row] = await db.read.select().from(organizations).where(eq(organizations.id, "org_a"));
    assert.equal(row.name, "renamed");
    db.sqlite.exec("delete from organizations where id = 'org_a'");
    assert.equal(await organizationCount(db), before);
  });
});

test("another process's write is seen from the next turn on, and a snapshot keeps its view until it ends", { skip: onPostgres }, async () => {
  await withSqliteFile(async (db, file) => {
    const other = new BetterSqlite3(file);
    try {
      const now = new Date().toISOString();
      const insert = other.prepare("insert into organizations (id, name, created_at, updated_at) values (?, ?, ?, ?)");
      const before = await organizationCount(db);
      insert.run("org_b", "B", now, now);
      await nextTurn();
      assert.equal(await organizationCount(db), before + 1);

      const snapshot = await db.snapshot();
      insert.run("org_c", "C", now, now);
      await nextTurn();
      await nextTurn();
      assert.equal(await organizationCount(db), before + 1, "reads share the snapshot's view while it lasts");
      await snapshot.end();
      assert.equal(await organizationCount(db), before + 2);
    } finally {
      other.close();
    }
  });
});
