// Subscriptions over graphql-ws, executed once per event for each group of subscribers that
// would get the same result, instead of once per subscriber: with a thousand subscribers to one
// customer's events, graphql-js ran the selection (and read the customer) a thousand times.
//
// graphql-js's `subscribe` is createSourceEventStream, then `execute` of the selection for each
// source event. This does the same, but remembers each execution per (event, group): the
// subscribers of a group that see the same event object get the one result. Every subscriber
// still has its own source stream, so filters, tenancy checks, replay with `after`, and the
// stream's own cleanup are unchanged; only the execution is shared.
//
// A live subscriber (one that does not replay with `after`) also gets its `next` messages written
// straight to its socket: the group's payload is serialised once, and each subscriber's message
// is its id around that text, as graphql-ws would have written it. graphql-ws then iterates a
// stream that only ends (or fails) when the subscription does, and sends `complete` or `error`
// itself; a thousand subscribers do not each go through its per-message awaits and serialisation.
import { Kind, createSourceEventStream, execute, getOperationAST, type ExecutionArgs, type ExecutionResult, type FormattedExecutionResult } from "graphql";
import type { Context } from "../resolvers/context";
import { AppError } from "../services/errors";

type Step = IteratorResult<ExecutionResult>;

/** Where a subscription's messages go: its id and its socket. */
export interface Delivery {
  id: string;
  socket: { readyState: number; OPEN: number; bufferedAmount: number; send(data: string): void };
}

/**
 * Bytes a subscriber's socket may hold unsent. graphql-ws waited for each write, so a slow reader
 * held back only its own stream (which fails past 10,000 waiting events); written directly, a
 * reader that does not keep up would hold the server's memory instead, so its subscription fails.
 */
const MAX_UNSENT_BYTES = 8 * 1024 * 1024;

/** The error map over a result's errors (graphql-ws's onNext), or undefined to send it as is. */
type Format = (result: ExecutionResult) => FormattedExecutionResult | undefined;

const deliveries = new WeakMap<object, Delivery>();

/** Registers where the subscription with this context sends its messages (graphql-ws's context factory). */
export function deliverTo<C extends object>(context: C, delivery: Delivery): C {
  deliveries.set(context, delivery);
  return context;
}

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
export function sharedSubscribe(options: { format?: Format; keyOf?: (args: ExecutionArgs) => string | null } = {}) {
  const keyOf = options.keyOf ?? sharingKey;
  const format = options.format ?? (() => undefined);
  const executed = new WeakMap<object, Map<string, Step | Promise<Step>>>();
  // The serialised payload of each (event, group), for direct delivery.
  const serialised = new WeakMap<object, Map<string, string | Promise<string>>>();

  return async (args: ExecutionArgs): Promise<AsyncIterable<ExecutionResult> | ExecutionResult> => {
    const events = await createSourceEventStream(args);
    if (!isAsyncIterable(events)) return events;
    const key = keyOf(args);
    const run = async (event: unknown): Promise<Step> => ({ value: await execute({ ...args, rootValue: event }), done: false });
    if (key === null) return mapEvents(events, run);
    const shared = (event: unknown): Step | Promise<Step> => {
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
    };
    const delivery = args.contextValue ? deliveries.get(args.contextValue) : undefined;
    if (!delivery || replays(args)) return mapEvents(events, shared);
    const payloadOf = (event: unknown): string | Promise<string> => {
      if (typeof event !== "object" || event === null) return serialise(shared(event));
      let texts = serialised.get(event);
      if (!texts) serialised.set(event, (texts = new Map()));
      const known = texts.get(key);
      if (known !== undefined) return known;
      const text = serialise(shared(event));
      texts.set(key, text);
      if (typeof text !== "string") text.then((t) => texts.set(key, t), () => undefined);
      return text;
    };
    const serialise = (step: Step | Promise<Step>): string | Promise<string> =>
      step instanceof Promise ? step.then((s) => payloadText(s.value as ExecutionResult, format)) : payloadText(step.value as ExecutionResult, format);
    return deliverDirectly(events, payloadOf, delivery);
  };
}

/** graphql-ws's `next` payload: the result, with its errors through the error map. */
function payloadText(result: ExecutionResult, format: Format): string {
  return JSON.stringify(format(result) ?? result);
}

/** Whether the operation's root field asks to replay (`after`): those subscribers keep graphql-ws's own delivery, in order. */
function replays(args: ExecutionArgs): boolean {
  const operation = getOperationAST(args.document, args.operationName);
  const root = operation?.selectionSet.selections[0];
  return root?.kind !== Kind.FIELD || (root.arguments ?? []).some((a) => a.name.value === "after");
}

/**
 * Sends each event's payload to the subscription's socket as a `next` message, and gives
 * graphql-ws a stream that yields nothing: it ends when the events end (graphql-ws sends
 * `complete`), fails with their error (graphql-ws sends `error`), and its return() (the client
 * completed, or left) ends the events at once.
 */
function deliverDirectly(events: AsyncIterable<unknown>, payloadOf: (event: unknown) => string | Promise<string>, delivery: Delivery): AsyncIterableIterator<ExecutionResult> {
  const source = events[Symbol.asyncIterator]();
  const prefix = `{"id":${JSON.stringify(delivery.id)},"type":"next","payload":`;
  let stopped = false;
  let pumping: Promise<IteratorResult<ExecutionResult>> | null = null;
  const send = (payload: string) => {
    if (stopped || delivery.socket.readyState !== delivery.socket.OPEN) return;
    if (delivery.socket.bufferedAmount > MAX_UNSENT_BYTES) {
      throw new AppError("INTERNAL_SERVER_ERROR", `More than ${MAX_UNSENT_BYTES} bytes of events were waiting for this subscriber; subscribe again with \`after\` the last event received.`);
    }
    delivery.socket.send(`${prefix}${payload}}`);
  };
  const pump = async (): Promise<IteratorResult<ExecutionResult>> => {
    try {
      for (;;) {
        const step = await source.next();
        if (step.done || stopped) return DONE;
        const payload = payloadOf(step.value);
        send(typeof payload === "string" ? payload : await payload);
      }
    } catch (error) {
      // As graphql-js: a failing mapping closes the source; the stream's own error is reported.
      try {
        await source.return?.();
      } catch {
        // The first error is the one to report.
      }
      throw error;
    }
  };
  return {
    next: () => (pumping ??= pump()),
    async return() {
      stopped = true;
      if (source.return) await source.return();
      return DONE;
    },
    async throw(error: unknown) {
      stopped = true;
      await source.return?.();
      throw error;
    },
    [Symbol.asyncIterator]() {
      return this;
    },
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
