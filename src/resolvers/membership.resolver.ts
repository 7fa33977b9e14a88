import { Ctx, FieldResolver, Resolver, Root } from "type-graphql";
import type { MembershipRow } from "../db/schema";
import { Membership } from "../types/membership.type";
import { Organization } from "../types/organization.type";
import type { Context } from "./context";

@Resolver(() => Membership)
export class MembershipResolver {
  @FieldResolver(() => Organization, { description: "The organization the customer is onboarded to." })
  async organization(@Root() membership: MembershipRow, @Ctx() ctx: Context) {
    return ctx.loaders.organization.load(membership.organizationId);
  }
}
