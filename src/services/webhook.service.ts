// Webhook endpoints of the caller's organization: create, update, delete, list, and the delivery
// log with redelivery. Delivery itself is the worker's (src/events/webhooks.ts).
import { randomBytes } from "node:crypto";
import { and, asc, count, eq, sql } from "drizzle-orm";
import type { Config } from "../config";
import type { Database } from "../db/client";
import { first } from "../db/query";
import { webhookDeliveries, webhookEndpoints, type WebhookDeliveryRow, type WebhookEndpointRow } from "../db/schema";
import { catchUpWhenIdle, refusedUrl } from "../events/webhooks";
import type { EventBus } from "../events/pubsub";
import { now } from "../lib/clock";
import { newId } from "../lib/ids";
import type { ConnectionResult } from "../types/common.types";
import type { CustomerEventType } from "../types/enums";
import type { Actor } from "./actor";
import { UserErrors } from "./errors";
import { keyset, pageRequest, toConnection, type PageArgs } from "./pagination";

/** A delivery as the API shows it. */
export type WebhookDeliveryView = WebhookDeliveryRow & { delivered: boolean };

const view = (row: WebhookDeliveryRow): WebhookDeliveryView => ({ ...row, delivered: row.status === "DELIVERED" });

export interface WebhookEndpointInput {
  url?: string | null;
  eventTypes?: CustomerEventType[] | null;
  enabled?: boolean | null;
}

export class WebhookService {
  constructor(
    readonly db: Database,
    readonly bus: EventBus,
    readonly config: Config,
  ) {}

  async list(actor: Actor): Promise<WebhookEndpointRow[]> {
    if (!actor.organizationId) return [];
    return this.db.read
      .select()
      .from(webhookEndpoints)
      .where(eq(webhookEndpoints.organizationId, actor.organizationId))
      .orderBy(asc(webhookEndpoints.id));
  }

  async create(actor: Actor, input: WebhookEndpointInput & { url: string }): Promise<{ endpoint: WebhookEndpointRow; secret: string }> {
    const organizationId = actor.organizationId;
    if (!organizationId) throw UserErrors.of("INVALID", null, "The caller has no organization to own the endpoint.");
    await this.checkUrl(input.url);
    // Standard Webhooks secret format, so that any Standard Webhooks library verifies our signatures.
    const secret = `whsec_${randomBytes(32).toString("base64")}`;
    const at = now();
    const enabled = input.enabled ?? true;
    const endpoint = await this.db.transaction(async (tx) => {
      if (enabled) await catchUpWhenIdle(tx);
      const [row] = await tx
        .insert(webhookEndpoints)
        .values({
          id: newId("webhook"),
          organizationId,
          url: input.url,
          eventTypes: input.eventTypes ?? [],
          enabled,
          secret,
          createdAt: at,
          updatedAt: at,
        })
        .returning();
      return row;
    });
    return { endpoint, secret };
  }

  async update(actor: Actor, id: string, input: WebhookEndpointInput): Promise<WebhookEndpointRow> {
    const current = await this.owned(actor, id);
    const changes: Partial<WebhookEndpointRow> = {};
    if (input.url != null && input.url !== current.url) {
      await this.checkUrl(input.url);
      changes.url = input.url;
    }
    if (input.eventTypes != null && JSON.stringify([...input.eventTypes].sort()) !== JSON.stringify([...current.eventTypes].sort())) {
      changes.eventTypes = input.eventTypes;
    }
    if (input.enabled != null && input.enabled !== current.enabled) {
      changes.enabled = input.enabled;
      // Enabling again starts the failure count afresh.
      if (input.enabled) Object.assign(changes, { consecutiveFailures: 0, disabledReason: null });
    }
    if (!Object.keys(changes).length) throw UserErrors.of("NO_CHANGES", null, "The endpoint already is so.");
    return this.db.transaction(async (tx) => {
      if (changes.enabled) await catchUpWhenIdle(tx);
      const [row] = await tx
        .update(webhookEndpoints)
        .set({ ...changes, updatedAt: now() })
        .where(eq(webhookEndpoints.id, id))
        .returning();
      return row;
    });
  }

  async delete(actor: Actor, id: string): Promise<string> {
    await this.owned(actor, id);
    await this.db.transaction(async (tx) => {
      await tx.delete(webhookEndpoints).where(eq(webhookEndpoints.id, id));
    });
    return id;
  }

  /**
   * Sends a delivery again: PENDING, due now, whatever its state. An attempt in flight loses its
   * lease, so that its outcome does not overwrite this request; the new attempt records its own.
   */
  async redeliver(actor: Actor, deliveryId: string): Promise<WebhookDeliveryView> {
    const row = await first(
      this.db.read
        .select({ delivery: webhookDeliveries, organizationId: webhookEndpoints.organizationId })
        .from(webhookDeliveries)
        .innerJoin(webhookEndpoints, eq(webhookEndpoints.id, webhookDeliveries.endpointId))
        .where(eq(webhookDeliveries.id, deliveryId)),
    );
    if (!row || row.organizationId !== actor.organizationId) {
      throw UserErrors.of("NOT_FOUND", ["deliveryId"], `Webhook delivery ${deliveryId} does not exist.`);
    }
    const [updated] = await this.db.transaction((tx) =>
      tx
        .update(webhookDeliveries)
        .set({ status: "PENDING", nextAttemptAt: now(), leaseOwner: null, leaseUntil: null })
        .where(eq(webhookDeliveries.id, deliveryId))
        .returning(),
    );
    return view(updated);
  }

  /** The endpoint's delivery log, newest first. */
  async deliveries(endpointId: string, args: PageArgs): Promise<ConnectionResult<WebhookDeliveryView>> {
    const request = pageRequest(args, "-id", 1);
    const page = keyset(request, [sql`${webhookDeliveries.id}`], true);
    const rows = await this.db.read
      .select()
      .from(webhookDeliveries)
      .where(and(eq(webhookDeliveries.endpointId, endpointId), ...page.where))
      .orderBy(...page.orderBy)
      .limit(request.limit + 1);
    return toConnection(rows.map(view), request, (r) => [r.id], async () => {
      const [{ n }] = await this.db.read.select({ n: count() }).from(webhookDeliveries).where(eq(webhookDeliveries.endpointId, endpointId));
      return n;
    });
  }

  /** The caller's endpoint; another organization's is NOT_FOUND, as if it did not exist. */
  /** The caller's endpoint, or null (another organization's reads as missing). */
  async get(actor: Actor, id: string): Promise<WebhookEndpointRow | null> {
    const row = await first(this.db.read.select().from(webhookEndpoints).where(eq(webhookEndpoints.id, id)));
    return row && row.organizationId === actor.organizationId ? row : null;
  }

  private async owned(actor: Actor, id: string): Promise<WebhookEndpointRow> {
    const row = await first(this.db.read.select().from(webhookEndpoints).where(eq(webhookEndpoints.id, id)));
    if (!row || row.organizationId !== actor.organizationId) throw UserErrors.of("NOT_FOUND", ["id"], `Webhook endpoint ${id} does not exist.`);
    return row;
  }

  private async checkUrl(url: string): Promise<void> {
    const refused = await refusedUrl(url, this.config.WEBHOOK_ALLOW_PRIVATE);
    if (refused) throw UserErrors.of("INVALID", ["url"], `The webhook URL ${refused}.`);
  }
}
