// Progress on stderr for long runs: shown when stderr is a terminal, or with --progress (then
// cli-progress prints a line every few seconds instead of redrawing). stdout stays clean.
import { Presets, SingleBar } from "cli-progress";

export interface Progress {
  /** `value` counts towards `total` (rows, or bytes read when the total is a file size); `rows` is shown. */
  update(value: number, rows: number): void;
  stop(): void;
}

export function progress(enabled: boolean, total: number | null, unit = "rows"): Progress {
  if (!enabled) return { update() {}, stop() {} };
  const started = Date.now();
  const bar = new SingleBar(
    {
      stream: process.stderr,
      format: total
        ? `{bar} {percentage}% | {rows} ${unit} | {rate} ${unit}/s | ETA {eta_formatted}`
        : `{rows} ${unit} | {rate} ${unit}/s | {duration_formatted}`,
      hideCursor: true,
      etaBuffer: 20,
      noTTYOutput: !process.stderr.isTTY,
      notTTYSchedule: 2000,
    },
    Presets.shades_classic,
  );
  bar.start(total ?? 0, 0, { rows: 0, rate: 0 });
  return {
    update(value, rows) {
      const seconds = (Date.now() - started) / 1000;
      bar.update(value, { rows, rate: seconds > 0 ? Math.round(rows / seconds) : 0 });
    },
    stop() {
      bar.stop();
    },
  };
}

/** "12,345 rows in 3.2 s (3,858 rows/s)". */
export function rateSummary(rows: number, milliseconds: number, unit = "rows"): string {
  const seconds = milliseconds / 1000;
  const rate = seconds > 0 ? Math.round(rows / seconds) : rows;
  return `${rows.toLocaleString("en-US")} ${unit} in ${seconds.toFixed(1)} s (${rate.toLocaleString("en-US")} ${unit}/s)`;
}
