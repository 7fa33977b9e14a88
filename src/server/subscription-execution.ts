// Subscriptions over graphql-ws, executed once per event for each group of subscribers that
// would get the same result, instead of once per subscriber: with a thousand subscribers to one
// customer's events, graphql-js ran the selection (and read the customer) a thousand times.
//
// graphql-js's `subscribe` is createSourceEventStream, then `execute` of the selection for each
// source event. This does the same, but remembers each execution per (event, group): the
// subscribers of a group that see the same event object get the one result. Every subscriber
// still has its own source stream, so filters, tenancy checks, replay with `after`, and the
// stream's own cleanup are unchanged; only the execution is shared.
import { createSourceEventStream, execute, type ExecutionArgs, type ExecutionResult } from "graphql";
import type { Context } from "../resolvers/context";

type Results = Map<string, ExecutionResult | Promise<ExecutionResult>>;

/**
 * What a subscriber's result depends on besides the event: the document's exact text (error
 * locations come from it) and operation, the variables, and what the credential may see. Fields
 * reachable from a subscription read the caller only through `access` (loaders and tenancy) and
 * the scopes (@Authorized); the actor's organization is added as the one other caller-dependent
 * default. Null when the text is not known: that subscriber executes alone.
 */
export function sharingKey(args: ExecutionArgs): string | null {
  const text = args.document.loc?.source.body;
  const ctx = args.contextValue as Context | undefined;
  if (text === undefined || !ctx?.access || !ctx.principal) return null;
  return JSON.stringify([
    text,
    args.operationName ?? null,
    args.variableValues ?? null,
    ctx.access.organizationIds ?? null,
    ctx.access.tags,
    [...ctx.principal.scopes].sort(),
    ctx.actor?.organizationId ?? null,
  ]);
}

/**
 * A `subscribe` for graphql-ws's useServer. Results are remembered in a WeakMap keyed on the
 * event object, so they go with the event once every subscriber has moved past it. Events
 * replayed with `after` are read per subscriber, are distinct objects, and so execute alone.
 */
export function sharedSubscribe(keyOf: (args: ExecutionArgs) => string | null = sharingKey) {
  const executed = new WeakMap<object, Results>();

  return async (args: ExecutionArgs): Promise<AsyncIterable<ExecutionResult> | ExecutionResult> => {
    const events = await createSourceEventStream(args);
    if (!isAsyncIterable(events)) return events;
    const key = keyOf(args);
    const run = (event: unknown) => execute({ ...args, rootValue: event });
    if (key === null) return mapEvents(events, run);
    return mapEvents(events, (event) => {
      if (typeof event !== "object" || event === null) return run(event);
      let results = executed.get(event);
      if (!results) executed.set(event, (results = new Map()));
      let result = results.get(key);
      if (!result) results.set(key, (result = run(event)));
      return result;
    });
  };
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof (value as AsyncIterable<unknown> | null)?.[Symbol.asyncIterator] === "function";
}

/**
 * graphql-js's mapAsyncIterator (internal to graphql-js): return() goes straight to the source,
 * so that a subscriber that leaves ends its stream at once, not after the next event (an async
 * generator waiting on `for await` would only see return() then).
 */
function mapEvents(
  events: AsyncIterable<unknown>,
  map: (event: unknown) => ExecutionResult | Promise<ExecutionResult>,
): AsyncIterableIterator<ExecutionResult> {
  const source = events[Symbol.asyncIterator]();
  const close = async () => {
    try {
      await source.return?.();
    } catch {
      // The mapping's error is the one to report.
    }
  };
  const mapped = async (step: IteratorResult<unknown>): Promise<IteratorResult<ExecutionResult>> => {
    if (step.done) return { value: undefined, done: true };
    try {
      return { value: await map(step.value), done: false };
    } catch (error) {
      await close();
      throw error;
    }
  };
  return {
    async next() {
      return mapped(await source.next());
    },
    async return() {
      if (source.return) await source.return();
      return { value: undefined, done: true };
    },
    async throw(error: unknown) {
      if (source.throw) return mapped(await source.throw(error));
      await close();
      throw error;
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}
