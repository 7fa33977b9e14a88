// Results: one row per scenario with the API, its raw baseline and their ratio against the
// issue's target, printed as a markdown table.
import type { Scenario } from "./options";

/** One side (API or raw) of a scenario. */
export interface Side {
  throughput: number;
  unit: "req/s" | "events/s" | "rows/s";
  /** Latency percentiles in ms; null where the scenario has none (import). */
  p50: number | null;
  p99: number | null;
  peakRssBytes: number | null;
  note?: string;
}

export interface ScenarioResult {
  scenario: Scenario;
  api: Side | null;
  raw: Side | null;
  /** list, get, create, import: API/raw throughput; fan-out: API p99 / raw p99. */
  ratio: number | null;
  ratioOf: "throughput" | "p99";
  target: string;
  pass: boolean | null;
  /** Byte-for-byte equality of API and raw answers (list, get); shape equality (create). */
  equal?: boolean;
  /** Why the API side is missing or what went wrong. */
  note?: string;
  /** CPU other processes on the machine used meanwhile, in percent of one core. */
  otherCpuPercent?: number | null;
  [extra: string]: unknown;
}

export interface Statements {
  /** extensions.sqlStatements of one list request, by page size. */
  list: Record<string, number>;
  get: number | null;
  /** Counts the production server logged for the benchmark's own requests (min..max). */
  underLoad: Partial<Record<"list" | "get" | "create", { min: number; max: number }>>;
}

export interface Target {
  name: string;
  measured: string;
  target: string;
  pass: boolean | null;
}

export function percentile(sorted: number[], q: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

const fixed = (n: number | null | undefined, digits = 1) => (n === null || n === undefined || !Number.isFinite(n) ? "–" : n.toFixed(digits));
const mb = (bytes: number | null | undefined) => (bytes ? `${(bytes / 1024 / 1024).toFixed(0)} MB` : "–");
const rate = (side: Side | null) => (side ? `${side.throughput >= 100 ? side.throughput.toFixed(0) : side.throughput.toFixed(1)} ${side.unit}` : "n/a");
const ms = (n: number | null | undefined) => (n === null || n === undefined ? "–" : `${fixed(n, n < 10 ? 2 : 1)} ms`);
const verdict = (pass: boolean | null) => (pass === null ? "n/a" : pass ? "pass" : "FAIL");

function row(cells: string[]): string {
  return `| ${cells.join(" | ")} |`;
}

/** Percent of one core that other processes may use before a scenario's figures are flagged (*). */
export const BUSY_PERCENT = 10;

const busy = (r: ScenarioResult) => typeof r.otherCpuPercent === "number" && r.otherCpuPercent > BUSY_PERCENT;

export function formatTable(results: ScenarioResult[]): string {
  const header = ["scenario", "API", "p50", "p99", "peak RSS", "raw", "raw p50", "raw p99", "raw RSS", "ratio", "target", "result", "other CPU"];
  const lines = [row(header), row(header.map(() => "---"))];
  for (const r of results) {
    lines.push(
      row([
        r.scenario,
        r.api ? rate(r.api) : `n/a${r.note ? ` (${r.note})` : ""}`,
        ms(r.api?.p50),
        ms(r.api?.p99),
        mb(r.api?.peakRssBytes),
        rate(r.raw),
        ms(r.raw?.p50),
        ms(r.raw?.p99),
        mb(r.raw?.peakRssBytes),
        r.ratio === null ? "–" : `${fixed(r.ratio, 2)}× ${r.ratioOf === "p99" ? "(p99)" : ""}`.trim(),
        r.target,
        `${verdict(r.pass)}${busy(r) ? "*" : ""}`,
        typeof r.otherCpuPercent === "number" ? `${r.otherCpuPercent.toFixed(0)}%${busy(r) ? "*" : ""}` : "–",
      ]),
    );
  }
  return lines.join("\n");
}

export function formatTargets(targets: Target[]): string {
  const lines = [row(["target", "measured", "wanted", "result"]), row(["---", "---", "---", "---"])];
  for (const t of targets) lines.push(row([t.name, t.measured, t.target, verdict(t.pass)]));
  return lines.join("\n");
}

export function formatStatements(s: Statements): string {
  const list = Object.entries(s.list).map(([first, n]) => `first: ${first} → ${n}`).join(", ");
  const load = Object.entries(s.underLoad)
    .map(([op, v]) => `${op} ${v.min === v.max ? v.min : `${v.min}–${v.max}`}`)
    .join(", ");
  return [
    `SQL statements per request (extensions.sqlStatements, non-production probe): list ${list || "–"}; get ${s.get ?? "–"}`,
    load
      ? `SQL statements per request logged by the production server under load: ${load}`
      : "SQL statements under load: not counted (production counts none unless SQL_STATEMENT_COUNTS=true)",
  ].join("\n");
}
