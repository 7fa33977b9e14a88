import { Ctx, Query, Resolver } from "type-graphql";
import { Viewer } from "../types/payloads";
import type { Context } from "./context";

@Resolver()
export class ViewerResolver {
  @Query(() => Viewer, { description: "Who is calling: organization, scopes and the name recorded for their changes." })
  async viewer(@Ctx() ctx: Context) {
    const organization = ctx.actor.organizationId ? await ctx.loaders.organization.load(ctx.actor.organizationId) : null;
    return { organization, scopes: ctx.principal.scopes, actor: ctx.actor.name };
  }
}
