import { Authorized, Arg, Args, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from "type-graphql";
import { and, count, sql } from "drizzle-orm";
import { organizationsVisible } from "../auth/tenancy";
import { organizations, type OrganizationRow } from "../db/schema";
import { keyset, pageRequest, toConnection } from "../services/pagination";
import { ConnectionArgs, OrganizationCustomersArgs } from "../types/args";
import { CreateOrganizationInput, UpdateOrganizationInput } from "../types/customer.input";
import { CustomerConnection } from "../types/customer.type";
import { Organization, OrganizationConnection } from "../types/organization.type";
import { OrganizationPayload } from "../types/payloads";
import type { Context } from "./context";
import { payload } from "./mutation";

@Resolver(() => Organization)
export class OrganizationResolver {
  @Authorized("customers:read", "organizations:admin")
  @Query(() => Organization, { nullable: true, description: "An organization by id; null when there is none." })
  organization(@Arg("id", () => ID, { description: "The organization's id (org_...)." }) id: string, @Ctx() ctx: Context) {
    return ctx.loaders.organization.load(id);
  }

  @Authorized("customers:read", "organizations:admin")

  @Query(() => OrganizationConnection, { description: "Organizations, oldest first." })
  async organizations(@Args(() => ConnectionArgs) args: ConnectionArgs, @Ctx() ctx: Context) {
    const db = ctx.db.read;
    const request = pageRequest(args, "id", 1);
    const page = keyset(request, [sql`${organizations.id}`], false);
    const rows = await db
      .select()
      .from(organizations)
      .where(and(organizationsVisible(ctx.access), ...page.where))
      .orderBy(...page.orderBy)
      .limit(request.limit + 1);
    return toConnection(rows, request, (r) => [r.id], async () => {
      const [{ n }] = await db.select({ n: count() }).from(organizations).where(organizationsVisible(ctx.access));
      return n;
    });
  }

  @Authorized("organizations:admin")

  @Mutation(() => OrganizationPayload, { description: "Creates an organization." })
  createOrganization(@Arg("input", () => CreateOrganizationInput, { description: "The organization." }) input: CreateOrganizationInput, @Ctx() ctx: Context) {
    return payload(ctx, async () => ({ organization: await ctx.services.organizations.create(ctx.actor, input) }));
  }

  @Authorized("organizations:admin")

  @Mutation(() => OrganizationPayload, { description: "Changes an organization. NO_CHANGES when nothing differs." })
  updateOrganization(@Arg("input", () => UpdateOrganizationInput, { description: "The changes." }) input: UpdateOrganizationInput, @Ctx() ctx: Context) {
    return payload(ctx, async () => ({ organization: await ctx.services.organizations.update(ctx.actor, input) }));
  }

  @FieldResolver(() => Organization, { nullable: true, description: "The partner organization that onboarded this one, if any." })
  parent(@Root() organization: OrganizationRow, @Ctx() ctx: Context) {
    return organization.parentId ? ctx.loaders.organization.load(organization.parentId) : null;
  }

  @FieldResolver(() => CustomerConnection, { description: "Customers onboarded to this organization." })
  customers(@Root() organization: OrganizationRow, @Args(() => OrganizationCustomersArgs) args: OrganizationCustomersArgs, @Ctx() ctx: Context) {
    return ctx.loaders.organizationCustomers.load({ parentId: organization.id, args: { ...args } });
  }
}

