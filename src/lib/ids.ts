// One id generator: a type prefix and a ULID (time-sortable, monotonic within a process).
import { randomFillSync } from "node:crypto";
import { monotonicFactory } from "ulid";

// ulid asks the platform for one random byte per character, sixteen calls an id; drawing the
// bytes from a pool refilled 4 KiB at a time gives the same randomness for a fraction of the cost.
const pool = Buffer.alloc(4096);
let used = pool.length;
function randomUnit(): number {
  if (used === pool.length) {
    randomFillSync(pool);
    used = 0;
  }
  return pool[used++] / 256;
}

const ulid = monotonicFactory(randomUnit);

export const ID_PREFIXES = {
  customer: "cus",
  organization: "org",
  address: "adr",
  document: "doc",
  event: "evt",
  webhook: "whk",
  apiKey: "key",
  verificationSession: "ver",
  walletChallenge: "wch",
  twoFactorChallenge: "tfc",
  webhookDelivery: "wdl",
} as const;

export type IdKind = keyof typeof ID_PREFIXES;

export function newId(kind: IdKind): string {
  return `${ID_PREFIXES[kind]}_${ulid().toLowerCase()}`;
}

const ID_PATTERN = /^([a-z]{3})_[0-9a-hjkmnp-tv-z]{26}$/;

/** The kind of an id, or null when the string is not one of ours. */
export function idKind(id: string): IdKind | null {
  const match = ID_PATTERN.exec(id);
  if (!match) return null;
  const entry = Object.entries(ID_PREFIXES).find(([, prefix]) => prefix === match[1]);
  return entry ? (entry[0] as IdKind) : null;
}
