// One clock, so that every timestamp has the same format (ISO 8601 UTC, milliseconds).
export function now(): string {
  return new Date().toISOString();
}
