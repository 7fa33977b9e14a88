import type { EventEmitter } from "node:events";
import pino from "pino";

export type Logger = pino.Logger;

/**
 * JSON lines on stdout. Written asynchronously: a request does not wait for its log line's write,
 * and lines logged while a write is under way go out together; pino flushes what is left on exit.
 */
export function createLogger(level: string): Logger {
  return pino({ level, base: undefined, timestamp: isoTimeByMillisecond() }, pino.destination({ dest: 1, sync: false }));
}

/** pino's isoTime, formatted once per millisecond: a busy server writes several lines in one. */
function isoTimeByMillisecond(): () => string {
  let last = -1;
  let field = "";
  return () => {
    const now = Date.now();
    if (now !== last) {
      last = now;
      field = `,"time":"${new Date(now).toISOString()}"`;
    }
    return field;
  };
}

/**
 * Logs a connection's errors once per outage, not at every reconnection attempt, with what the
 * outage means (`whileDown`), and its return (`ready`).
 */
export function logOutages(connection: Pick<EventEmitter, "on">, logger: Logger, name: string, whileDown: string): void {
  let down = false;
  connection.on("error", (err: Error) => {
    if (down) return;
    down = true;
    logger.error({ err }, `${name} unreachable: ${whileDown}`);
  });
  connection.on("ready", () => {
    if (!down) return;
    down = false;
    logger.info(`${name} reachable again`);
  });
}
