import { Arg, Authorized, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from "type-graphql";
import { organizationVisible } from "../auth/tenancy";
import type { ApiKeyRow } from "../db/schema";
import { ApiKey, CreateApiKeyInput, CreateApiKeyPayload, RevokeApiKeyPayload } from "../types/api-key.type";
import { IdInput } from "../types/customer.input";
import { Organization } from "../types/organization.type";
import type { Context } from "./context";
import { payload } from "./mutation";

@Resolver(() => ApiKey)
export class ApiKeyResolver {
  @Authorized("organizations:admin")
  @Query(() => [ApiKey], { description: "API keys of an organization you manage (default: your own), secrets excluded." })
  async apiKeys(
    @Arg("organizationId", () => ID, { nullable: true, description: "The organization; default: the caller's." }) organizationId: string | null | undefined,
    @Ctx() ctx: Context,
  ) {
    const id = organizationId ?? ctx.actor.organizationId;
    if (!id || !organizationVisible(ctx.access, id)) return [];
    return ctx.services.apiKeys.list(id);
  }

  @Authorized("organizations:admin")
  @Mutation(() => CreateApiKeyPayload, { description: "Creates an API key; its secret is in this payload only." })
  createApiKey(@Arg("input", () => CreateApiKeyInput, { description: "The key." }) input: CreateApiKeyInput, @Ctx() ctx: Context) {
    return payload(ctx, () => ctx.services.apiKeys.create(ctx.actor, input, ctx.principal));
  }

  @Authorized("organizations:admin")
  @Mutation(() => RevokeApiKeyPayload, { description: "Revokes an API key: it stops working at once." })
  revokeApiKey(@Arg("input", () => IdInput, { description: "The key (key_...)." }) input: IdInput, @Ctx() ctx: Context) {
    return payload(ctx, async () => ({ apiKey: await ctx.services.apiKeys.revoke(ctx.actor, input.id) }));
  }

  @FieldResolver(() => Organization, { description: "The organization the key acts for." })
  organization(@Root() key: ApiKeyRow, @Ctx() ctx: Context) {
    return ctx.loaders.organization.load(key.organizationId);
  }
}
