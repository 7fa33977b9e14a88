import { Authorized, Arg, Args, Ctx, FieldResolver, ID, Resolver, Root, Subscription } from "type-graphql";
import { and, eq } from "drizzle-orm";
import { customerVisible } from "../auth/tenancy";
import { customers, type CustomerEventRow, type CustomerRow } from "../db/schema";
import { openCustomerEventStream } from "../events/stream";
import { createLoaders } from "../loaders";
import { CustomerEventsSubscriptionArgs } from "../types/args";
import { Customer } from "../types/customer.type";
import { CustomerEvent } from "../types/event.type";
import type { Context } from "./context";

/**
 * Whether the subscriber may see a customer's events: the queries' tenancy rule, asked afresh at
 * most every few seconds per customer (onboarding can change the answer).
 */
function visibility(ctx: Context): ((customerId: string) => Promise<boolean>) | undefined {
  const condition = customerVisible(ctx.access);
  if (!condition) return undefined;
  const known = new Map<string, { visible: boolean; at: number }>();
  return async (customerId) => {
    const cached = known.get(customerId);
    if (cached && Date.now() - cached.at < VISIBILITY_TTL_MS) return cached.visible;
    const row = await ctx.db.read.select({ id: customers.id }).from(customers).where(and(eq(customers.id, customerId), condition)).get();
    known.set(customerId, { visible: Boolean(row), at: Date.now() });
    return Boolean(row);
  };
}
const VISIBILITY_TTL_MS = 5_000;

/** Customer state after each of its events, read afresh every time. */
async function* customerStates(ctx: Context, id: string): AsyncGenerator<CustomerRow> {
  for await (const event of await openCustomerEventStream(ctx.db.read, ctx.bus, { customerId: id, visible: visibility(ctx) })) {
    const customer = await createLoaders(ctx.db.read, ctx.access).customer.load(event.customerId);
    if (customer) yield customer;
  }
}

@Resolver(() => CustomerEvent)
export class EventResolver {
  @FieldResolver(() => Customer, { nullable: true, description: "The customer's current state; null once erased." })
  customer(@Root() event: CustomerEventRow, @Ctx() ctx: Context) {
    return ctx.loaders.customer.load(event.customerId);
  }

  @Authorized("customers:read")

  @Subscription(() => CustomerEvent, {
    description: "Customer events as they happen, filtered. With `after`, first replays the events since that event id, then continues live with no gap and no duplicate.",
    subscribe: ({ args, context }) => {
      const ctx = context as Context;
      return openCustomerEventStream(ctx.db.read, ctx.bus, { ...args, visible: visibility(ctx) });
    },
  })
  customerEvents(@Root() event: CustomerEventRow, @Args(() => CustomerEventsSubscriptionArgs) _args: CustomerEventsSubscriptionArgs, @Ctx() ctx: Context): CustomerEventRow {
    // The subscription's context lives as long as it does: each event reads through fresh loaders.
    ctx.loaders = createLoaders(ctx.db.read, ctx.access);
    return event;
  }

  @Authorized("customers:read")

  @Subscription(() => Customer, {
    description: "The customer's state each time it changes.",
    subscribe: ({ args, context }) => customerStates(context as Context, args.id as string),
  })
  customerUpdated(@Root() customer: CustomerRow, @Arg("id", () => ID, { description: "The customer to watch." }) _id: string, @Ctx() ctx: Context): CustomerRow {
    ctx.loaders = createLoaders(ctx.db.read, ctx.access);
    return customer;
  }
}
