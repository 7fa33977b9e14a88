// The expiry sweep, run now and then on a timer that does not keep the process alive, by one
// instance of those sharing the database: the holder of the sweep lease. Each sweep renews the
// lease, which lasts a little longer than the interval, so that the holder keeps it from one
// sweep to the next and another instance takes over about one interval after the holder dies.
import { randomUUID } from "node:crypto";
import type { Database } from "../db/client";
import { releaseLease, takeLease } from "../db/leases";
import { now } from "../lib/clock";
import type { Logger } from "../lib/logger";

export const SWEEP_LEASE = "expiry-sweep";

/** How long a sweep's lease lasts: the interval and room for late timers and clocks that differ. */
export function sweepLeaseMs(intervalMs: number): number {
  return intervalMs + Math.max(intervalMs / 4, 5_000);
}

/** Sweeps now (awaited) and every `intervalMs` while this instance holds the lease; returns stop. */
export async function startExpirySweep(db: Database, intervalMs: number, logger: Logger, sweep: () => Promise<unknown>): Promise<() => Promise<void>> {
  const owner = randomUUID();
  // A sweep still running is not started twice.
  let sweeping: Promise<void> | null = null;
  const run = () =>
    (sweeping ??= db
      .transaction((tx) => {
        const at = now();
        return takeLease(tx, SWEEP_LEASE, owner, at, new Date(Date.parse(at) + sweepLeaseMs(intervalMs)).toISOString());
      })
      .then((held) => (held ? sweep() : undefined))
      .then(
        () => undefined,
        (err: unknown) => logger.error({ err }, "expiry sweep failed"),
      )
      .finally(() => {
        sweeping = null;
      }));
  await run();
  const timer = setInterval(run, intervalMs);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await sweeping;
    // Given up, so that an instance started next sweeps at its start rather than a lease later.
    await db.transaction((tx) => releaseLease(tx, SWEEP_LEASE, owner)).catch((err: unknown) => logger.error({ err }, "expiry sweep lease not released"));
  };
}
