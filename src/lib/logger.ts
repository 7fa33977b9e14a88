import pino from "pino";

export type Logger = pino.Logger;

/**
 * JSON lines on stdout. Written asynchronously: a request does not wait for its log line's write,
 * and lines logged while a write is under way go out together; pino flushes what is left on exit.
 */
export function createLogger(level: string): Logger {
  return pino({ level, base: undefined, timestamp: pino.stdTimeFunctions.isoTime }, pino.destination({ dest: 1, sync: false }));
}
