// On SQLite a worker thread checkpoints the write-ahead log (src/db/checkpoints.ts), so that no
// commit stops the event loop for it. What must hold: what commits reaches the database file soon
// after without any commit checkpointing, every write stays readable, an erasure's checkpoint
// still empties the log, and closing leaves no log behind.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { eq } from "drizzle-orm";
import { openDatabase } from "../src/db/client";
import { FALLBACK_PAGES } from "../src/db/checkpoints";
import { organizations } from "../src/db/schema";
import { onPostgres, withSqliteFile } from "./helpers";

function organization(id: string, name: string) {
  const now = new Date().toISOString();
  return { id, name, createdAt: now, updatedAt: now };
}

async function eventually(what: string, check: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) assert.fail(`not within ${ms} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

test("a commit reaches the database file by a background checkpoint, not by the commit", { skip: onPostgres }, async () => {
  await withSqliteFile(async (db, file) => {
    if (db.dialect !== "sqlite") return;
    // Commits leave checkpoints to the worker: SQLite's own only as a fallback, far beyond one commit.
    assert.deepEqual(db.sqlite.pragma("wal_autocheckpoint"), [{ wal_autocheckpoint: FALLBACK_PAGES }]);
    const marker = `Checkpointed ${Date.now()} Ltd`;
    await db.transaction(async (tx) => {
      await tx.insert(organizations).values(organization("org_checkpointed", marker));
    });
    // Committed to the log; the file gets it only from a checkpoint.
    await eventually("the committed row is in the database file", () => fs.readFileSync(file).includes(marker));
    const [row] = await db.read.select().from(organizations).where(eq(organizations.id, "org_checkpointed"));
    assert.equal(row.name, marker);
  });
});

test("many commits while checkpoints run: every row readable, the log bounded", { skip: onPostgres }, async () => {
  await withSqliteFile(async (db, file) => {
    for (let batch = 0; batch < 40; batch++) {
      await Promise.all(
        Array.from({ length: 25 }, (_, i) =>
          db.transaction(async (tx) => {
            await tx.insert(organizations).values(organization(`org_${batch}_${i}`, `Org ${batch} ${i} ${"x".repeat(2000)}`));
          }),
        ),
      );
      if (batch % 10 === 0) await new Promise((resolve) => setTimeout(resolve, 60));
    }
    const rows = await db.read.select({ id: organizations.id }).from(organizations);
    assert.equal(rows.filter((r) => r.id.startsWith("org_")).length, 1000);
    // 1,000 commits of a page or more each: without checkpoints the log would hold them all.
    const walBytes = fs.statSync(`${file}-wal`).size;
    assert.ok(walBytes <= (FALLBACK_PAGES + 1000) * 4120, `log of ${walBytes} bytes`);
    await db.checkpoint(); // as an erasure does: the log is emptied, even with the worker running
    assert.equal(fs.statSync(`${file}-wal`).size, 0);
  });
});

test("closing stops the worker and leaves no log file", { skip: onPostgres }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "checkpoints-"));
  const file = path.join(dir, "test.db");
  try {
    const db = await openDatabase(file);
    await db.transaction(async (tx) => {
      await tx.insert(organizations).values(organization("org_closed", "Closed"));
    });
    await db.close();
    // The last connection to close removes the log; the worker's must have closed first.
    assert.equal(fs.existsSync(`${file}-wal`), false);
    const reopened = await openDatabase(file);
    const [row] = await reopened.read.select().from(organizations).where(eq(organizations.id, "org_closed"));
    await reopened.close();
    assert.equal(row.name, "Closed");
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
