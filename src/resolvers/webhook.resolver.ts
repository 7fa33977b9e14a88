import { Arg, Args, Authorized, Ctx, FieldResolver, Mutation, Query, Resolver, Root } from "type-graphql";
import type { WebhookEndpointRow } from "../db/schema";
import { IdInput } from "../types/customer.input";
import {
  CreateWebhookEndpointInput,
  CreateWebhookEndpointPayload,
  DeleteWebhookEndpointPayload,
  RedeliverWebhookInput,
  RedeliverWebhookPayload,
  UpdateWebhookEndpointInput,
  WebhookDeliveriesArgs,
  WebhookDeliveryConnection,
  WebhookEndpoint,
  WebhookEndpointPayload,
} from "../types/webhook.type";
import type { Context } from "./context";
import { payload } from "./mutation";

@Resolver(() => WebhookEndpoint)
export class WebhookResolver {
  @Authorized("webhooks:manage")
  @Query(() => [WebhookEndpoint], { description: "Your organization's webhook endpoints, secrets excluded." })
  webhookEndpoints(@Ctx() ctx: Context) {
    return ctx.services.webhooks.list(ctx.actor);
  }

  @Authorized("webhooks:manage")
  @Mutation(() => CreateWebhookEndpointPayload, { description: "Creates a webhook endpoint of your organization; its signing secret is in this payload only. INVALID [url] for a non-http(s) or private URL." })
  createWebhookEndpoint(@Arg("input", () => CreateWebhookEndpointInput, { description: "The endpoint." }) input: CreateWebhookEndpointInput, @Ctx() ctx: Context) {
    return payload(ctx, () => ctx.services.webhooks.create(ctx.actor, input));
  }

  @Authorized("webhooks:manage")
  @Mutation(() => WebhookEndpointPayload, { description: "Changes a webhook endpoint: URL, event types, enabled. NOT_FOUND, INVALID, NO_CHANGES." })
  updateWebhookEndpoint(@Arg("input", () => UpdateWebhookEndpointInput, { description: "The changes." }) input: UpdateWebhookEndpointInput, @Ctx() ctx: Context) {
    return payload(ctx, async () => ({ endpoint: await ctx.services.webhooks.update(ctx.actor, input.id, input) }));
  }

  @Authorized("webhooks:manage")
  @Mutation(() => DeleteWebhookEndpointPayload, { description: "Deletes a webhook endpoint and its delivery log." })
  deleteWebhookEndpoint(@Arg("input", () => IdInput, { description: "The endpoint (whk_...)." }) input: IdInput, @Ctx() ctx: Context) {
    return payload(ctx, async () => ({ deletedEndpointId: await ctx.services.webhooks.delete(ctx.actor, input.id) }));
  }

  @Authorized("webhooks:manage")
  @Mutation(() => RedeliverWebhookPayload, { description: "Sends a delivery again, now (with the same webhook-id)." })
  redeliverWebhook(@Arg("input", () => RedeliverWebhookInput, { description: "The delivery." }) input: RedeliverWebhookInput, @Ctx() ctx: Context) {
    return payload(ctx, async () => ({ delivery: await ctx.services.webhooks.redeliver(ctx.actor, input.deliveryId) }));
  }

  @FieldResolver(() => WebhookDeliveryConnection, { description: "The delivery log, newest first: attempts, status codes, next retry." })
  deliveries(@Root() endpoint: WebhookEndpointRow, @Args(() => WebhookDeliveriesArgs) args: WebhookDeliveriesArgs, @Ctx() ctx: Context) {
    return ctx.services.webhooks.deliveries(endpoint.id, { ...args });
  }
}
