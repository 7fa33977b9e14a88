// Webhook delivery: the event log fanned out to endpoints, posted with Standard Webhooks
// signatures, retried with backoff, persisted so that a restart loses nothing (at-least-once;
// `webhook-id` is the delivery's id, stable across retries, for receivers to deduplicate).
// Every instance on the database runs a worker; each attempt is made by the one instance that
// leased the delivery, so a webhook is posted once unless its instance dies mid-attempt.
import { randomUUID } from "node:crypto";
import { lookup } from "node:dns/promises";
import { lookup as dnsLookup, type LookupAddress, type LookupOptions as DnsLookupOptions } from "node:dns";
import http from "node:http";
import https from "node:https";
import { BlockList, isIP } from "node:net";
import { and, asc, eq, gt, inArray, lte, max, sql } from "drizzle-orm";
import { Webhook } from "standardwebhooks";
import type { Config } from "../config";
import type { Database, Db } from "../db/client";
import { claimDueDeliveries, heldBy } from "../db/leases";
import { executePrepared, first, queryRows } from "../db/query";
import {
  customerEvents,
  eventCursors,
  memberships,
  webhookDeliveries,
  webhookEndpoints,
  type CustomerEventRow,
  type WebhookDeliveryRow,
  type WebhookEndpointRow,
} from "../db/schema";
import { now } from "../lib/clock";
import { newId } from "../lib/ids";
import { perConnection } from "../services/prepared";
import type { Logger } from "../lib/logger";
import { Topic, type EventBus } from "./pubsub";

const CURSOR = "webhooks";
const FAN_OUT_BATCH = 200;
const DELIVERY_BATCH = 20;
// How much longer than the request's timeout a delivery's lease lasts: room for the URL's DNS
// check, the outcome's write and clocks that differ a little between instances.
const LEASE_MARGIN_MS = 30_000;

// Private, loopback, link-local and unspecified ranges: never a webhook's destination (SSRF).
const PRIVATE = new BlockList();
for (const [net, prefix] of [["0.0.0.0", 8], ["10.0.0.0", 8], ["127.0.0.0", 8], ["169.254.0.0", 16], ["172.16.0.0", 12], ["192.168.0.0", 16]] as const) {
  PRIVATE.addSubnet(net, prefix, "ipv4");
}
PRIVATE.addAddress("::", "ipv6");
PRIVATE.addAddress("::1", "ipv6");
PRIVATE.addSubnet("fc00::", 7, "ipv6");
PRIVATE.addSubnet("fe80::", 10, "ipv6");

export function isPrivateAddress(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return PRIVATE.check(mapped[1], "ipv4");
  const family = isIP(address);
  return family === 0 || PRIVATE.check(address, family === 4 ? "ipv4" : "ipv6");
}

/** Why `url` may not receive webhooks, or null when it may: http(s) only, and no private address. */
export async function refusedUrl(url: string, allowPrivate: boolean): Promise<string | null> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return "is not a valid URL";
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") return "must be http or https";
  if (allowPrivate) return null;
  const host = parsed.hostname.replace(/^\[(.*)\]$/, "$1");
  let addresses: string[];
  try {
    addresses = isIP(host) ? [host] : (await lookup(host, { all: true })).map((a) => a.address);
  } catch {
    return "does not resolve";
  }
  return addresses.some(isPrivateAddress) ? "resolves to a private or loopback address" : null;
}

/**
 * node:http's `lookup` for webhook requests: the address a request connects to is the one
 * checked, so a name that resolves to a public address when the URL is checked and to a private
 * one when the request connects (DNS rebinding) is refused.
 */
export function publicOnlyLookup(hostname: string, options: LookupOptions, callback: LookupCallback): void {
  dnsLookup(hostname, { ...options, all: true }, (error: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => {
    if (error) return callback(error, "", 0);
    const found = addresses;
    const refused = found.find((a) => isPrivateAddress(a.address));
    if (refused || found.length === 0) {
      const reason = Object.assign(new Error(`${hostname} resolves to a private or loopback address`), { code: "EPRIVATE" });
      return callback(reason, "", 0);
    }
    if (options.all) return callback(null, found as unknown as string, 0);
    return callback(null, found[0].address, found[0].family);
  });
}
type LookupOptions = DnsLookupOptions;
type LookupCallback = (error: NodeJS.ErrnoException | null, address: string, family: number) => void;

/**
 * POSTs `body` and answers the status; redirects are not followed, the response body is
 * discarded. Outside WEBHOOK_ALLOW_PRIVATE the connection is made only to a public address.
 */
function postJson(url: URL, headers: Record<string, string>, body: string, timeoutMs: number, allowPrivate: boolean): Promise<number> {
  const send = url.protocol === "https:" ? https.request : http.request;
  return new Promise((resolve, reject) => {
    const req = send(
      url,
      {
        method: "POST",
        headers: { ...headers, "content-length": String(Buffer.byteLength(body)) },
        signal: AbortSignal.timeout(timeoutMs),
        ...(allowPrivate ? {} : { lookup: publicOnlyLookup as unknown as typeof dnsLookup }),
      },
      (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode ?? 0));
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

/** The webhook body: what happened, without personal data. */
export function webhookBody(event: CustomerEventRow): string {
  const { id, type, customerId, changedFields, actor, via, occurredAt } = event;
  return JSON.stringify({
    type: `customer.${type.toLowerCase()}`,
    timestamp: occurredAt,
    data: { id, type, customerId, changedFields, actor, via, occurredAt },
  });
}

/** The event's organizations: those the customer is onboarded to and its own, with their partners above them. */
async function organizationsOf(tx: Db, event: CustomerEventRow): Promise<string[]> {
  const rows = await queryRows<{ id: string }>(tx, sql`
    with recursive orgs(id) as (
      select ${event.organizationId}
      union select ${memberships.organizationId} from ${memberships} where ${memberships.customerId} = ${event.customerId}
      union select o.parent_id from organizations o join orgs on o.id = orgs.id where o.parent_id is not null
    )
    select id from orgs`);
  return rows.map((r) => r.id);
}

const enabledEndpoint = perConnection((db) =>
  db.select({ id: webhookEndpoints.id }).from(webhookEndpoints).where(eq(webhookEndpoints.enabled, true)).limit(1).prepare(),
);

async function anyEnabledEndpoint(tx: Db): Promise<boolean> {
  return (await executePrepared(enabledEndpoint(tx))).length > 0;
}

/**
 * Call in the transaction that enables an endpoint, before it does. While no endpoint is enabled
 * the worker leaves the cursor alone (no writes for nothing); the first endpoint enabled moves it
 * to the end of the log, since it is owed nothing from before.
 */
export async function catchUpWhenIdle(tx: Db): Promise<void> {
  if (await anyEnabledEndpoint(tx)) return;
  // max() reads the seq as its column does: PostgreSQL's bigint would come back as a string.
  const [{ last }] = await tx.select({ last: max(customerEvents.seq) }).from(customerEvents);
  const seq = last ?? 0;
  await tx.insert(eventCursors).values({ name: CURSOR, seq }).onConflictDoUpdate({ target: eventCursors.name, set: { seq } });
}

/** Another instance moved the cursor while this one was fanning out the same events. */
class CursorMoved extends Error {}

/**
 * Turns events after the cursor into delivery rows and moves the cursor, in one transaction.
 * Instances fan out concurrently without doubling a delivery: a delivery is unique per endpoint
 * and event, and the cursor moves only from the value this transaction read (compare and set),
 * so of two transactions that read the same cursor one commits and the other rolls back.
 */
async function fanOut(db: Database): Promise<number> {
  try {
    return await db.transaction(async (tx) => {
      const cursor = (await first(tx.select().from(eventCursors).where(eq(eventCursors.name, CURSOR))))?.seq ?? 0;
      const events = await tx.select().from(customerEvents).where(gt(customerEvents.seq, cursor)).orderBy(asc(customerEvents.seq)).limit(FAN_OUT_BATCH);
      if (!events.length) return 0;
      const createdAt = now();
      for (const event of events) {
        const orgs = await organizationsOf(tx, event);
        const endpoints = await tx
          .select()
          .from(webhookEndpoints)
          // An endpoint gets what happens from its creation on, not the history before it.
          .where(and(inArray(webhookEndpoints.organizationId, orgs), eq(webhookEndpoints.enabled, true), lte(webhookEndpoints.createdAt, event.occurredAt)));
        const matching = endpoints.filter((e) => e.eventTypes.length === 0 || e.eventTypes.includes(event.type));
        if (!matching.length) continue;
        await tx
          .insert(webhookDeliveries)
          .values(
            matching.map((endpoint) => ({
              id: newId("webhookDelivery"),
              endpointId: endpoint.id,
              eventId: event.id,
              status: "PENDING" as const,
              nextAttemptAt: createdAt,
              createdAt,
            })),
          )
          .onConflictDoNothing();
      }
      const seq = events[events.length - 1].seq;
      const moved = await tx
        .insert(eventCursors)
        .values({ name: CURSOR, seq })
        .onConflictDoUpdate({ target: eventCursors.name, set: { seq }, setWhere: eq(eventCursors.seq, cursor) })
        .returning({ seq: eventCursors.seq });
      if (!moved.length) throw new CursorMoved();
      return events.length;
    });
  } catch (error) {
    if (error instanceof CursorMoved) return 0;
    throw error;
  }
}

interface Attempt {
  statusCode: number | null;
  error: string | null;
}

async function post(endpoint: WebhookEndpointRow, delivery: WebhookDeliveryRow, event: CustomerEventRow, config: Config): Promise<Attempt> {
  const refused = await refusedUrl(endpoint.url, config.WEBHOOK_ALLOW_PRIVATE);
  if (refused) return { statusCode: null, error: `URL ${refused}` };
  const body = webhookBody(event);
  const timestamp = new Date();
  const signature = new Webhook(endpoint.secret).sign(delivery.id, timestamp, body);
  try {
    const status = await postJson(
      new URL(endpoint.url),
      {
        "content-type": "application/json",
        "webhook-id": delivery.id,
        "webhook-timestamp": String(Math.floor(timestamp.getTime() / 1000)),
        "webhook-signature": signature,
      },
      body,
      config.WEBHOOK_TIMEOUT_MS,
      config.WEBHOOK_ALLOW_PRIVATE,
    );
    const ok = status >= 200 && status < 300;
    return { statusCode: status, error: ok ? null : `HTTP ${status}` };
  } catch (error) {
    return { statusCode: null, error: error instanceof Error ? error.name + ": " + error.message : "request failed" };
  }
}

/** What one delivery attempt came to: delivered, failed with a retry planned, or failed for good. */
export type WebhookOutcome = "delivered" | "retrying" | "failed";

/**
 * Posts one claimed delivery and records the outcome; disables an endpoint that keeps failing.
 * Null when the lease was lost meanwhile (it ran out and another instance took the delivery
 * over): the outcome is then the new holder's to record.
 */
async function attempt(db: Database, config: Config, logger: Logger, delivery: WebhookDeliveryRow, endpoint: WebhookEndpointRow): Promise<WebhookOutcome | null> {
  const event = await first(db.read.select().from(customerEvents).where(eq(customerEvents.id, delivery.eventId)));
  const result: Attempt = event ? await post(endpoint, delivery, event, config) : { statusCode: null, error: "event not found" };
  const attemptNo = delivery.attempt + 1;
  const at = new Date();
  const released = { attempt: attemptNo, statusCode: result.statusCode, leaseOwner: null, leaseUntil: null };
  return db.transaction(async (tx): Promise<WebhookOutcome | null> => {
    if (!result.error) {
      const [recorded] = await tx
        .update(webhookDeliveries)
        .set({ ...released, status: "DELIVERED", lastError: null, nextAttemptAt: null, deliveredAt: at.toISOString() })
        .where(heldBy(delivery))
        .returning({ id: webhookDeliveries.id });
      if (!recorded) return leaseLost(logger, delivery);
      await tx.update(webhookEndpoints).set({ consecutiveFailures: 0 }).where(eq(webhookEndpoints.id, endpoint.id));
      return "delivered";
    }
    const exhausted = attemptNo >= config.WEBHOOK_MAX_ATTEMPTS;
    const next = exhausted ? null : new Date(at.getTime() + config.WEBHOOK_RETRY_BASE_MS * 2 ** (attemptNo - 1)).toISOString();
    const [recorded] = await tx
      .update(webhookDeliveries)
      .set({ ...released, status: exhausted ? "FAILED" : "PENDING", lastError: result.error, nextAttemptAt: next })
      .where(heldBy(delivery))
      .returning({ id: webhookDeliveries.id });
    if (!recorded) return leaseLost(logger, delivery);
    const [row] = await tx
      .update(webhookEndpoints)
      .set({ consecutiveFailures: sql`${webhookEndpoints.consecutiveFailures} + 1` })
      .where(eq(webhookEndpoints.id, endpoint.id))
      .returning({ failures: webhookEndpoints.consecutiveFailures, enabled: webhookEndpoints.enabled });
    if (row && row.enabled && row.failures >= config.WEBHOOK_DISABLE_AFTER_FAILURES) {
      const reason = `Disabled after ${row.failures} consecutive failed deliveries (last: ${result.error}).`;
      await tx.update(webhookEndpoints).set({ enabled: false, disabledReason: reason, updatedAt: at.toISOString() }).where(eq(webhookEndpoints.id, endpoint.id));
      // No CustomerEvent for this: events are per customer, and this concerns an endpoint.
      logger.warn({ endpointId: endpoint.id, failures: row.failures }, "webhook endpoint disabled");
    }
    return exhausted ? "failed" : "retrying";
  });
}

function leaseLost(logger: Logger, delivery: WebhookDeliveryRow): null {
  logger.warn({ deliveryId: delivery.id, leaseUntil: delivery.leaseUntil }, "webhook delivery lease lost before its outcome was recorded");
  return null;
}

/**
 * Claims due deliveries of enabled endpoints for this worker and posts them. The lease outlasts
 * the request's timeout, so that no other instance takes a delivery over while it is in flight.
 */
async function deliverDue(db: Database, config: Config, logger: Logger, owner: string, onAttempt: (outcome: WebhookOutcome) => void): Promise<number> {
  const claimed = await db.transaction(async (tx) => {
    // Timed once the transaction runs: waiting for the write lock does not shorten the lease.
    const at = now();
    const until = new Date(Date.parse(at) + config.WEBHOOK_TIMEOUT_MS + LEASE_MARGIN_MS).toISOString();
    const deliveries = await claimDueDeliveries(tx, owner, at, until, DELIVERY_BATCH);
    if (!deliveries.length) return [];
    const endpoints = await tx.select().from(webhookEndpoints).where(inArray(webhookEndpoints.id, [...new Set(deliveries.map((d) => d.endpointId))]));
    const byId = new Map(endpoints.map((e) => [e.id, e]));
    return deliveries.flatMap((delivery) => {
      const endpoint = byId.get(delivery.endpointId);
      return endpoint ? [{ delivery, endpoint }] : [];
    });
  });
  await Promise.all(
    claimed.map(({ delivery, endpoint }) =>
      attempt(db, config, logger, delivery, endpoint)
        .then((outcome) => outcome && onAttempt(outcome))
        .catch((error: unknown) => logger.error({ err: error, deliveryId: delivery.id }, "webhook delivery failed")),
    ),
  );
  return claimed.length;
}

/** Starts the delivery worker; the returned function stops it (letting a delivery in flight finish). */
export function startWebhookWorker(
  db: Database,
  bus: EventBus,
  config: Config,
  logger: Logger,
  onAttempt: (outcome: WebhookOutcome) => void = () => {},
): () => Promise<void> {
  // This instance's name on the deliveries it leases.
  const owner = randomUUID();
  let stopped = false;
  let wake: (() => void) | null = null;
  let kicked = false;
  const kick = () => {
    kicked = true;
    wake?.();
  };

  const events = bus.subscribe(Topic.CustomerEvent);
  void (async () => {
    for await (const _event of events) kick();
  })().catch((error: unknown) => logger.error({ err: error }, "webhook wake-up subscription failed"));

  const loop = (async () => {
    while (!stopped) {
      kicked = false;
      try {
        // While no endpoint is enabled there is nothing to fan out nor to deliver.
        const active = await anyEnabledEndpoint(db.read);
        const fanned = active ? await fanOut(db) : 0;
        const delivered = active ? await deliverDue(db, config, logger, owner, onAttempt) : 0;
        if (fanned || delivered) continue;
      } catch (error) {
        logger.error({ err: error }, "webhook worker pass failed");
      }
      if (stopped || kicked) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, config.WEBHOOK_POLL_INTERVAL_MS);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = null;
    }
  })();

  return async () => {
    stopped = true;
    wake?.();
    await events.return?.();
    await loop;
  };
}
