import { Arg, Authorized, Ctx, FieldResolver, Int, Query, Resolver, Root } from "type-graphql";
import { customerChanges, type CustomerChangeItem } from "../services/customer-changes";
import { Customer } from "../types/customer.type";
import { CustomerChange, CustomerChangeSet } from "../types/export.type";
import type { Context } from "./context";

@Resolver(() => CustomerChange)
export class ExportResolver {
  @Authorized("customers:read")
  @Query(() => CustomerChangeSet, {
    description:
      "Incremental export: customers changed since a cursor, oldest first, including archived and erased ones (as tombstones). Following `next` until `hasMore` is false yields every change exactly once, even while writes continue.",
  })
  customerChanges(
    @Arg("since", () => String, { nullable: true, description: "The `next` of the previous page; omit to start from the beginning." }) since: string | null | undefined,
    @Arg("first", () => Int, { nullable: true, description: "How many changes (events) to read, 1-1000 (default 100)." }) first: number | null | undefined,
    @Ctx() ctx: Context,
  ) {
    return customerChanges(ctx.db.read, { since, first }, ctx.access);
  }

  @FieldResolver(() => Customer, { nullable: true, description: "The customer's current state; null once erased." })
  customer(@Root() change: CustomerChangeItem, @Ctx() ctx: Context) {
    return ctx.loaders.customer.load(change.customerId);
  }

  @FieldResolver(() => Boolean, { description: "Whether the customer was erased." })
  async erased(@Root() change: CustomerChangeItem, @Ctx() ctx: Context) {
    return (await ctx.loaders.customer.load(change.customerId)) === null;
  }
}
