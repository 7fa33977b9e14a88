// The HTTP scenarios: list and get (the raw baseline must answer byte-for-byte what the API
// answers, checked before the load), and create (the same input to both, the same rows written).
import { createInput } from "../data";
import { tableCounts } from "../tables";
import { load, type LoadResult } from "../load";
import { RssSampler, type ApiServer, type RawServer } from "../processes";
import { body, CREATE, GET, LIST } from "../queries";
import type { ScenarioResult, Side } from "../report";

export interface HttpContext {
  /** The database both servers use. */
  database: string;
  api: ApiServer;
  raw: RawServer;
  authorization: string;
  connections: number;
  seconds: number;
  /** Seconds of unmeasured load before each side's measured run. */
  warmup: number;
  run: string;
  log: (line: string) => void;
}

export const PAGE_SIZE = 50;

async function post(url: string, payload: string, authorization?: string): Promise<string> {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...(authorization ? { authorization } : {}) },
    body: payload,
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${url} answered ${res.status}: ${text.slice(0, 500)}`);
  return text;
}

/** Where two answers first differ, with some context on each side. */
export function difference(a: string, b: string): string {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  const from = Math.max(0, i - 120);
  return [
    `first difference at character ${i} (lengths ${a.length} and ${b.length}):`,
    `  api: …${a.slice(from, i + 200)}`,
    `  raw: …${b.slice(from, i + 200)}`,
  ].join("\n");
}

function hasErrors(answer: string): boolean {
  return (JSON.parse(answer) as { errors?: unknown }).errors !== undefined;
}

/** Asks both servers every body and compares the answers byte for byte. */
async function compareAll(ctx: HttpContext, bodies: string[]): Promise<{ equal: boolean; checked: number; diff?: string }> {
  for (const [i, b] of bodies.entries()) {
    const [api, raw] = await Promise.all([post(ctx.api.url, b, ctx.authorization), post(ctx.raw.url, b)]);
    if (hasErrors(api)) return { equal: false, checked: i, diff: `the API answered with errors: ${api.slice(0, 1000)}` };
    if (api !== raw) return { equal: false, checked: i, diff: difference(api, raw) };
  }
  return { equal: true, checked: bodies.length };
}

function side(result: LoadResult, rss: number): Side {
  const failures = result.errors + result.timeouts + result.non2xx;
  return {
    throughput: result.requestsPerSecond,
    unit: "req/s",
    p50: result.p50,
    p99: result.p99,
    peakRssBytes: rss,
    ...(failures ? { note: `${result.errors} errors, ${result.timeouts} timeouts, ${result.non2xx} non-2xx of ${result.requests}` } : {}),
  };
}

/** Warms one side up (unmeasured), then loads it while sampling its memory. */
async function measure(ctx: HttpContext, target: { url: string; pid: number; headers?: Record<string, string> }, nextBody: () => string): Promise<Side> {
  const options = { url: target.url, headers: target.headers, connections: ctx.connections, nextBody };
  if (ctx.warmup > 0) await load({ ...options, seconds: ctx.warmup });
  const rss = new RssSampler(target.pid).start();
  const result = await load({ ...options, seconds: ctx.seconds });
  return side(result, rss.stop());
}

/**
 * Loads the API, then the raw baseline, with the same bodies in the same rotation; each side first
 * runs unmeasured for `warmup` seconds, so that neither is measured while its code is compiled.
 */
async function both(ctx: HttpContext, makeBody: () => () => string): Promise<{ api: Side; raw: Side }> {
  const api = await measure(ctx, { ...ctx.api, headers: { authorization: ctx.authorization } }, makeBody());
  const raw = await measure(ctx, ctx.raw, makeBody());
  return { api, raw };
}

function rotation(bodies: string[]): () => () => string {
  return () => {
    let next = 0;
    return () => bodies[next++ % bodies.length];
  };
}

function ratioResult(
  scenario: "list" | "get" | "create",
  sides: { api: Side; raw: Side },
  minimum: number,
  extra: Partial<ScenarioResult> = {},
): ScenarioResult {
  const ratio = sides.api.throughput / sides.raw.throughput;
  const clean = !sides.api.note && !sides.raw.note;
  return { scenario, ...sides, ratio, ratioOf: "throughput", target: `≥ ${minimum}×`, pass: clean && ratio >= minimum, ...extra };
}

/** Pages of the list, walked with `after`, so that the load reads the whole table in turn. */
export async function listPages(ctx: HttpContext, customers: number): Promise<string[]> {
  const pages = Math.max(1, Math.min(20, Math.ceil(customers / PAGE_SIZE)));
  const bodies: string[] = [];
  let after: string | null = null;
  for (let p = 0; p < pages; p++) {
    const b = body(LIST, { first: PAGE_SIZE, after });
    bodies.push(b);
    const answer = JSON.parse(await post(ctx.api.url, b, ctx.authorization)) as { data?: { customers: { pageInfo: { hasNextPage: boolean; endCursor: string | null } } } };
    const info = answer.data?.customers.pageInfo;
    if (!info?.hasNextPage || !info.endCursor) break;
    after = info.endCursor;
  }
  return bodies;
}

export async function listScenario(ctx: HttpContext, bodies: string[]): Promise<ScenarioResult> {
  const check = await compareAll(ctx, bodies);
  ctx.log(`list: ${check.equal ? `${check.checked} page${check.checked === 1 ? "" : "s"} answered byte-for-byte the same` : `answers differ\n${check.diff}`}`);
  if (!check.equal) return { scenario: "list", api: null, raw: null, ratio: null, ratioOf: "throughput", target: "≥ 0.5×", pass: false, equal: false, note: "answers differ", diff: check.diff };
  const sides = await both(ctx, rotation(bodies));
  return ratioResult("list", sides, 0.5, { equal: true, pages: bodies.length, pageSize: PAGE_SIZE });
}

export async function getScenario(ctx: HttpContext, ids: string[]): Promise<ScenarioResult> {
  const bodies = ids.map((id) => body(GET, { id }));
  const check = await compareAll(ctx, bodies);
  ctx.log(`get: ${check.equal ? `${check.checked} customers answered byte-for-byte the same` : `answers differ\n${check.diff}`}`);
  if (!check.equal) return { scenario: "get", api: null, raw: null, ratio: null, ratioOf: "throughput", target: "≥ 0.5×", pass: false, equal: false, note: "answers differ", diff: check.diff };
  const sides = await both(ctx, rotation(bodies));
  return ratioResult("get", sides, 0.5, { equal: true, customers: ids.length });
}

/** The create answers with ids and times masked: both sides must answer in the same shape. */
function masked(answer: string): string {
  return answer.replace(/"(cus|adr)_[0-9a-z]{26}"/g, '"<$1>"').replace(/"\d{4}-\d\d-\d\dT[\d:.]+Z"/g, '"<time>"');
}

/** Rows one request added, per table: "customers +1, persons +1, …". */
async function rowsWritten(file: string, request: () => Promise<string>): Promise<{ answer: string; rows: string }> {
  const before = tableCounts(file);
  const answer = await request();
  const after = tableCounts(file);
  const rows = [...after]
    .map(([t, n]) => [t, n - (before.get(t) ?? 0)] as const)
    .filter(([, d]) => d !== 0)
    .map(([t, d]) => `${t} ${d > 0 ? "+" : ""}${d}`)
    .join(", ");
  return { answer, rows };
}

export async function createScenario(ctx: HttpContext): Promise<ScenarioResult> {
  // One create on each side: the same answer but for ids and times, and the same rows written.
  const api = await rowsWritten(ctx.database, () => post(ctx.api.url, body(CREATE, { input: createInput(`${ctx.run}probe-api`, 0) }), ctx.authorization));
  const raw = await rowsWritten(ctx.database, () => post(ctx.raw.url, body(CREATE, { input: createInput(`${ctx.run}probe-raw`, 0) })));
  const apiData = JSON.parse(api.answer) as { data?: { createCustomer?: { userErrors: unknown[] } } };
  const problems = [
    hasErrors(api.answer) || apiData.data?.createCustomer?.userErrors.length !== 0 ? `the API refused the create: ${api.answer.slice(0, 1000)}` : null,
    masked(api.answer) !== masked(raw.answer) ? `answers differ\n${difference(masked(api.answer), masked(raw.answer))}` : null,
    api.rows !== raw.rows ? `rows written differ: API ${api.rows}; raw ${raw.rows}` : null,
  ].filter((p): p is string => p !== null);
  ctx.log(`create: ${problems.length ? problems.join("\n") : `API and raw answer in the same shape and write the same rows (${api.rows})`}`);
  if (problems.length) {
    return { scenario: "create", api: null, raw: null, ratio: null, ratioOf: "throughput", target: "≥ 0.5×", pass: false, equal: false, note: "answers differ", diff: problems.join("\n") };
  }
  let side = 0;
  const sides = await both(ctx, () => {
    // Each side gets its own run of unique inputs (emails), in the same order.
    const run = `${ctx.run}${side++ === 0 ? "a" : "r"}`;
    let n = 0;
    return () => body(CREATE, { input: createInput(run, n++) });
  });
  return ratioResult("create", sides, 0.5, { equal: true, rowsPerCreate: api.rows });
}
