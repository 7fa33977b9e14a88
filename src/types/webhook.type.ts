import { ArgsType, Field, ID, InputType, Int, ObjectType, registerEnumType } from "type-graphql";
import { DateTime } from "./scalars";
import { Node, connectionTypes, UserError } from "./common.types";
import { CustomerEventType } from "./enums";

export const WebhookDeliveryStatus = { PENDING: "PENDING", DELIVERED: "DELIVERED", FAILED: "FAILED" } as const;
registerEnumType(WebhookDeliveryStatus, {
  name: "WebhookDeliveryStatus",
  description: "Where a webhook delivery stands.",
  valuesConfig: {
    PENDING: { description: "Waiting for its (next) attempt, at nextAttemptAt." },
    DELIVERED: { description: "The endpoint answered 2xx." },
    FAILED: { description: "Every attempt failed; redeliverWebhook sends it again." },
  },
});

@ObjectType({ simpleResolvers: true, description: "One event posted to one endpoint, with its attempts (Standard Webhooks: `webhook-id` is this id, stable across retries)." })
export class WebhookDelivery {
  @Field(() => ID, { description: "Id (wdl_...), sent as the `webhook-id` header." })
  id!: string;
  @Field(() => ID, { description: "The event delivered (evt_...)." })
  eventId!: string;
  @Field(() => WebhookDeliveryStatus, { description: "Where the delivery stands." })
  status!: keyof typeof WebhookDeliveryStatus;
  @Field(() => Int, { description: "Attempts made so far." })
  attempt!: number;
  @Field(() => Int, { nullable: true, description: "HTTP status of the last attempt; null when it got no response." })
  statusCode!: number | null;
  @Field(() => DateTime, { nullable: true, description: "When the next attempt is due; null once delivered or failed." })
  nextAttemptAt!: string | null;
  @Field(() => DateTime, { description: "When the delivery was created." })
  createdAt!: string;
  @Field(() => DateTime, { nullable: true, description: "When the endpoint accepted it." })
  deliveredAt!: string | null;

  @Field(() => Boolean, { description: "Whether the endpoint accepted it (2xx)." })
  delivered!: boolean;
}

export const { Connection: WebhookDeliveryConnection, Edge: WebhookDeliveryEdge } = connectionTypes(WebhookDelivery, "WebhookDelivery", "webhook delivery");

@ObjectType({ implements: Node, simpleResolvers: true, description: "Where an organization's customer events are posted, signed per Standard Webhooks." })
export class WebhookEndpoint extends Node {
  @Field(() => String, { description: "Where events are posted (http or https)." })
  url!: string;
  @Field(() => [CustomerEventType], { description: "Which event types are posted; empty: every type." })
  eventTypes!: string[];
  @Field(() => Boolean, { description: "Whether events are posted; an endpoint that keeps failing is disabled." })
  enabled!: boolean;
  @Field(() => String, { nullable: true, description: "Why the endpoint was disabled automatically." })
  disabledReason!: string | null;
  @Field(() => DateTime, { description: "When the endpoint was created; it gets events from then on." })
  createdAt!: string;
  @Field(() => DateTime, { description: "When the endpoint was last changed." })
  updatedAt!: string;
}

@ArgsType()
export class WebhookDeliveriesArgs {
  @Field(() => Int, { nullable: true, description: "Deliveries after `after`, at most 100 (default 20)." })
  first?: number | null;
  @Field(() => String, { nullable: true, description: "Cursor to start after." })
  after?: string | null;
}

@InputType({ description: "A new webhook endpoint of the caller's organization." })
export class CreateWebhookEndpointInput {
  @Field(() => String, { description: "http or https URL; private and loopback addresses are refused." })
  url!: string;
  @Field(() => [CustomerEventType], { nullable: true, description: "Which event types to post; empty or absent: every type." })
  eventTypes?: CustomerEventType[] | null;
  @Field(() => Boolean, { nullable: true, defaultValue: true, description: "Whether to post events." })
  enabled?: boolean | null;
}

@InputType({ description: "Changes to a webhook endpoint; absent fields stay as they are." })
export class UpdateWebhookEndpointInput {
  @Field(() => ID, { description: "The endpoint (whk_...)." })
  id!: string;
  @Field(() => String, { nullable: true, description: "New URL." })
  url?: string | null;
  @Field(() => [CustomerEventType], { nullable: true, description: "New event types; empty: every type." })
  eventTypes?: CustomerEventType[] | null;
  @Field(() => Boolean, { nullable: true, description: "Enable or disable; enabling clears disabledReason and the failure count." })
  enabled?: boolean | null;
}

@InputType({ description: "The delivery to send again." })
export class RedeliverWebhookInput {
  @Field(() => ID, { description: "The delivery (wdl_...)." })
  deliveryId!: string;
}

@ObjectType({ simpleResolvers: true, description: "Result of createWebhookEndpoint." })
export class CreateWebhookEndpointPayload {
  @Field(() => WebhookEndpoint, { nullable: true, description: "The new endpoint." })
  endpoint?: WebhookEndpoint | null;
  @Field(() => String, { nullable: true, description: "The signing secret (whsec_...): shown this once. Verify deliveries with any Standard Webhooks library." })
  secret?: string | null;
  @Field(() => [UserError], { description: "Expected failures; when not empty, nothing was created." })
  userErrors!: UserError[];
}

@ObjectType({ simpleResolvers: true, description: "Result of updateWebhookEndpoint." })
export class WebhookEndpointPayload {
  @Field(() => WebhookEndpoint, { nullable: true, description: "The endpoint." })
  endpoint?: WebhookEndpoint | null;
  @Field(() => [UserError], { description: "Expected failures; when not empty, nothing changed." })
  userErrors!: UserError[];
}

@ObjectType({ simpleResolvers: true, description: "Result of deleteWebhookEndpoint." })
export class DeleteWebhookEndpointPayload {
  @Field(() => ID, { nullable: true, description: "The deleted endpoint's id." })
  deletedEndpointId?: string | null;
  @Field(() => [UserError], { description: "Expected failures; when not empty, nothing changed." })
  userErrors!: UserError[];
}

@ObjectType({ simpleResolvers: true, description: "Result of redeliverWebhook." })
export class RedeliverWebhookPayload {
  @Field(() => WebhookDelivery, { nullable: true, description: "The delivery, due again now." })
  delivery?: WebhookDelivery | null;
  @Field(() => [UserError], { description: "Expected failures; when not empty, nothing changed." })
  userErrors!: UserError[];
}
