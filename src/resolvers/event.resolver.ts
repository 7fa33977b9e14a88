import { Authorized, Arg, Args, Ctx, FieldResolver, ID, Resolver, Root, Subscription } from "type-graphql";
import { and, eq } from "drizzle-orm";
import { customerVisible } from "../auth/tenancy";
import { first } from "../db/query";
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
function visibility(ctx: Pick<Context, "db" | "access">): ((customerId: string) => Promise<boolean>) | undefined {
  const condition = customerVisible(ctx.access);
  if (!condition) return undefined;
  const known = new Map<string, { visible: boolean; at: number }>();
  return async (customerId) => {
    const cached = known.get(customerId);
    if (cached && Date.now() - cached.at < VISIBILITY_TTL_MS) return cached.visible;
    const row = await first(ctx.db.read.select({ id: customers.id }).from(customers).where(and(eq(customers.id, customerId), condition)));
    known.set(customerId, { visible: Boolean(row), at: Date.now() });
    return Boolean(row);
  };
}
const VISIBILITY_TTL_MS = 5_000;

/**
 * Customer state after each of its events, read afresh every time. An iterator rather than an
 * async generator: a generator waiting for the next event would hold its subscriber's return()
 * until that event came, so a client that left stayed registered; here return() ends the event
 * stream at once, and a pending next() resolves done.
 */
export function customerStates(ctx: Pick<Context, "db" | "bus" | "access">, id: string): AsyncIterableIterator<CustomerRow> {
  let opened: ReturnType<typeof openCustomerEventStream> | null = null;
  const events = () => (opened ??= openCustomerEventStream(ctx.db.read, ctx.bus, { customerId: id, visible: visibility(ctx) }));
  const states: AsyncIterableIterator<CustomerRow> = {
    async next() {
      const stream = await events();
      for (;;) {
        const step = await stream.next();
        if (step.done) return { done: true, value: undefined };
        const customer = await createLoaders(ctx.db.read, ctx.access).customer.load(step.value.customerId);
        if (customer) return { done: false, value: customer };
      }
    },
    async return() {
      await (await events()).return();
      return { done: true, value: undefined };
    },
    [Symbol.asyncIterator]: () => states,
  };
  return states;
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
