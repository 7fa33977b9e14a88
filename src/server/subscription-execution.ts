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

type Step = IteratorResult<ExecutionResult>;

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
  const executed = new WeakMap<object, Map<string, Step | Promise<Step>>>();

  return async (args: ExecutionArgs): Promise<AsyncIterable<ExecutionResult> | ExecutionResult> => {
    const events = await createSourceEventStream(args);
    if (!isAsyncIterable(events)) return events;
    const key = keyOf(args);
    const run = async (event: unknown): Promise<Step> => ({ value: await execute({ ...args, rootValue: event }), done: false });
    if (key === null) return mapEvents(events, run);
    return mapEvents(events, (event) => {
      if (typeof event !== "object" || event === null) return run(event);
      let steps = executed.get(event);
      if (!steps) executed.set(event, (steps = new Map()));
      const known = steps.get(key);
      if (known) return known;
      const step = run(event);
      steps.set(key, step);
      // Once it is known, the group's later subscribers take the result itself, not a promise of it.
      step.then(
        (result) => steps.set(key, result),
        () => undefined,
      );
      return step;
    });
  };
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof (value as AsyncIterable<unknown> | null)?.[Symbol.asyncIterator] === "function";
}

const DONE: IteratorReturnResult<undefined> = Object.freeze({ value: undefined, done: true });

/**
 * graphql-js's mapAsyncIterator (internal to graphql-js), with as few promises per event as it
 * can, since each event goes through it once per subscriber. return() goes straight to the
 * source, so that a subscriber that leaves ends its stream at once, not after the next event.
 */
function mapEvents(events: AsyncIterable<unknown>, map: (event: unknown) => Step | Promise<Step>): AsyncIterableIterator<ExecutionResult> {
  const source = events[Symbol.asyncIterator]();
  // As graphql-js: a mapping that fails closes the source (for-await would not) and reports its own error.
  const failed = async (error: unknown): Promise<never> => {
    try {
      await source.return?.();
    } catch {
      // The mapping's error is the one to report.
    }
    throw error;
  };
  const mapped = (step: IteratorResult<unknown>): Step | Promise<Step> => {
    if (step.done) return DONE;
    try {
      const result = map(step.value);
      return result instanceof Promise ? result.catch(failed) : result;
    } catch (error) {
      return failed(error);
    }
  };
  return {
    next: () => source.next().then(mapped),
    async return() {
      if (source.return) await source.return();
      return DONE;
    },
    async throw(error: unknown) {
      if (source.throw) return mapped(await source.throw(error));
      return failed(error);
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}
