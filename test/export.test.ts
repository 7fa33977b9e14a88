// Incremental export: customerChanges pages through every change exactly once, tombstones
// included, while other clients keep writing.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createCustomer, createOrganization, dataOf, personInput, sqlGet, startTestServer, type TestServer } from "./helpers";

let server: TestServer;
before(async () => {
  server = await startTestServer();
  await createOrganization(server, { name: "Export Org" });
});
after(() => server.close());

const PAGE = `query ($since: String, $first: Int) { customerChanges(since: $since, first: $first) {
  items { customerId erased changedAt customer { id status updatedAt } } next hasMore } }`;

async function page(since: string | null, first: number) {
  return dataOf(await server.gql(PAGE, { since, first })).customerChanges as {
    items: { customerId: string; erased: boolean; changedAt: string; customer: { id: string; status: string; updatedAt: string } | null }[];
    next: string;
    hasMore: boolean;
  };
}

async function drain(since: string | null, first: number) {
  const items = [];
  let cursor = since;
  for (let i = 0; i < 1000; i++) {
    const p = await page(cursor, first);
    items.push(...p.items);
    cursor = p.next;
    if (!p.hasMore) break;
  }
  return { items, cursor };
}

const update = (id: string, nickname: string) =>
  server.gql(`mutation ($id: ID!, $n: String) { updateCustomer(input: { id: $id, nickname: $n }) { userErrors { code } } }`, { id, n: nickname });

test("pages every change oldest first, with archived customers and erased ones as tombstones", async () => {
  const start = (await page(null, 1000)).next;
  const a = (await createCustomer(server, personInput("Ex", "A"))).id;
  const b = (await createCustomer(server, personInput("Ex", "B"))).id;
  const c = (await createCustomer(server, personInput("Ex", "C"))).id;
  await update(a, "a1");
  await server.gql(`mutation ($id: ID!) { archiveCustomer(input: { id: $id }) { userErrors { code } } }`, { id: b });
  await server.gql(`mutation ($id: ID!) { eraseCustomer(input: { id: $id }) { userErrors { code } } }`, { id: c });

  const { items } = await drain(start, 2);
  // Pages of two events: [a created, b created] [c created, a updated] [b archived, c erased].
  assert.deepEqual(items.map((i) => i.customerId), [a, b, c, a, b, c]);
  const last = (id: string) => items.filter((i) => i.customerId === id).at(-1)!;
  assert.equal(last(b).customer!.status, "ARCHIVED");
  assert.deepEqual([last(c).erased, last(c).customer], [true, null]);
  assert.equal(last(a).erased, false);
  assert.equal(last(a).changedAt, last(a).customer!.updatedAt);

  // Within one page a customer appears once, at its last change.
  const whole = await page(start, 1000);
  assert.deepEqual(whole.items.map((i) => i.customerId), [a, b, c]);
  assert.equal(whole.hasMore, false);
  const after = await page(whole.next, 10);
  assert.deepEqual([after.items, after.hasMore, after.next], [[], false, whole.next], "nothing new: the cursor stays");
});

test("following next while writers keep writing yields every change once", async () => {
  const start = (await page(null, 1000)).next;
  const ids = await Promise.all(Array.from({ length: 5 }, (_, i) => createCustomer(server, personInput("Busy", `${i}`)).then((c) => c.id as string)));
  let writing = true;
  let writes = 0;
  const writer = (async () => {
    for (let n = 0; writing && n < 200; n++) {
      await update(ids[n % ids.length], `v${n}`);
      writes++;
    }
  })();
  const seen: { customerId: string; changedAt: string }[] = [];
  let cursor: string | null = start;
  while (writes < 30) {
    const p = await page(cursor, 3);
    seen.push(...p.items);
    cursor = p.next;
    if (!p.hasMore) await new Promise((r) => setTimeout(r, 5));
  }
  writing = false;
  await writer;
  const rest = await drain(cursor, 3);
  seen.push(...rest.items);

  // No change twice: a (customer, time) pair never repeats across pages.
  const keys = seen.map((s) => `${s.customerId}@${s.changedAt}`);
  assert.equal(new Set(keys).size, keys.length);
  // None missed: each customer's last item is its current state.
  for (const id of ids) {
    const current = dataOf(await server.gql(`query ($id: ID!) { customer(id: $id) { updatedAt } }`, { id })).customer.updatedAt;
    assert.equal(seen.filter((s) => s.customerId === id).at(-1)!.changedAt, current, `${id} ends at its latest change`);
  }
  // Every event after the start is accounted for: each page covers a contiguous run of events.
  const events = await sqlGet<{ n: number }>(server, "select count(*) as n from customer_events where customer_id in (" + ids.map(() => "?").join(",") + ")", ...ids);
  assert.equal(events?.n, 5 + writes);
});

test("bad cursors and page sizes are BAD_USER_INPUT", async () => {
  for (const variables of [{ since: "nonsense", first: 10 }, { since: null, first: 0 }, { since: null, first: 1001 }]) {
    const r = await server.gql(PAGE, variables);
    assert.equal(r.errors?.[0].extensions?.code, "BAD_USER_INPUT", JSON.stringify(variables));
  }
});
