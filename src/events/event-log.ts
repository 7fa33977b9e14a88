// The customer event log: events are written in the same transaction as the change they
// describe, and published only after that transaction commits.
import { customerEvents, type CustomerEventRow } from "../db/schema";
import type { Db } from "../db/client";
import { newId } from "../lib/ids";
import { now } from "../lib/clock";
import type { CustomerEventType } from "../types/enums";
import type { Actor } from "../services/actor";
import { insertRow } from "../services/prepared";
import { Topic, type EventBus } from "./pubsub";

export interface NewEvent {
  type: CustomerEventType;
  customerId: string;
  organizationId: string;
  changedFields: string[];
  /** When the change happened; by default now. Pass the change's own timestamp to match updatedAt. */
  occurredAt?: string;
}

/** The event's row, before the log gives it its `seq`. */
export function eventRow(actor: Actor, event: NewEvent): Omit<CustomerEventRow, "seq"> {
  return { id: newId("event"), ...event, actor: actor.name, via: actor.via, occurredAt: event.occurredAt ?? now() };
}

export async function recordEvent(tx: Db, actor: Actor, event: NewEvent): Promise<CustomerEventRow> {
  return insertRow(tx, customerEvents, eventRow(actor, event));
}

export function publishEvents(bus: EventBus, events: CustomerEventRow[]): void {
  for (const event of events) bus.publish(Topic.CustomerEvent, event);
}
