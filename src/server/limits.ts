// Query limits (tokens, depth, aliases, directives, cost) checked before execution, the request's
// cost in extensions.cost (as Shopify reports it), and cost-based rate limiting per credential.
//
//   express (limitsMiddleware)    body size, batch size, tokens                 before Apollo
//   validation (limitValidation…) depth, aliases, directives per operation      cached with the document
//   didResolveOperation (plugin)  cost with the request's variables, rate limit every request
//   WebSocket (limitSubscription) all of the above for each subscribe message
//
// Refused documents never execute, and a refused request takes nothing from the bucket. The
// buckets are this process's, or Redis's when REDIS_URL is set (shared by every instance); with
// Redis, charging answers a promise, otherwise synchronously.
import { HeaderMap, type ApolloServerPlugin } from "@apollo/server";
import {
  GraphQLError,
  NoSchemaIntrospectionCustomRule,
  getOperationAST,
  parse,
  specifiedRules,
  validate,
  type DocumentNode,
  type ExecutionArgs,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type ValidationRule,
} from "graphql";
import type { SubscribePayload } from "graphql-ws";
import type { Config } from "../config";
import type { Context } from "../resolvers/context";
import { LeakyBuckets, type MaybePromise, type RateLimiter, type Take, type ThrottleStatus } from "./limits/buckets";
import { operationCost } from "./limits/cost";
import { documentLimitRules, tokenLimitError } from "./limits/document";
import { LimitError } from "./limits/errors";
import { RedisBuckets } from "./limits/redis-buckets";
import { redisOf } from "./redis";

export { limitErrorExtensions } from "./limits/errors";
export { limitsMiddleware } from "./limits/transport";

/** What every response carries in extensions.cost. */
export interface CostExtension {
  requestedQueryCost: number;
  /** Absent when rate limiting is off. */
  throttleStatus?: ThrottleStatus;
}

/** What charging an operation answers: its cost, and the error to answer instead of running it. */
export interface Charge {
  cost: CostExtension;
  refusal?: LimitError;
}

/** The rate limiter of a server: none, this process's buckets, or Redis's. */
function rateLimiter(config: Config): RateLimiter | null {
  if (!config.RATE_LIMIT_ENABLED) return null;
  const shared = redisOf(config);
  if (shared) return new RedisBuckets(shared.redis, config.RATE_LIMIT_BUCKET, config.RATE_LIMIT_RESTORE_PER_SECOND, shared.logger);
  return new LeakyBuckets(config.RATE_LIMIT_BUCKET, config.RATE_LIMIT_RESTORE_PER_SECOND);
}

/** Applies `next` to a value that may still be coming, without a promise when it is already here. */
function then<T, U>(value: MaybePromise<T>, next: (value: T) => U): MaybePromise<U> {
  return value instanceof Promise ? value.then(next) : next(value);
}

/** Prices operations and holds the per-credential buckets of one server. */
class CostGuard {
  readonly buckets: RateLimiter | null;
  /** A cost the bucket can never hold is refused as too complex, not as rate limited forever. */
  readonly maxCost: number;

  constructor(config: Config) {
    this.buckets = rateLimiter(config);
    this.maxCost = this.buckets ? Math.min(config.MAX_QUERY_COST, this.buckets.capacity) : config.MAX_QUERY_COST;
  }

  /** Prices the operation and takes its cost from the caller's bucket, or says why not. */
  charge(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation: OperationDefinitionNode,
    variables: Record<string, unknown> | null | undefined,
    credential: string,
  ): MaybePromise<Charge> {
    const requestedQueryCost = operationCost(schema, document, operation, variables);
    if (requestedQueryCost > this.maxCost) {
      const refusal = new LimitError(
        "QUERY_TOO_COMPLEX",
        `The operation's estimated cost is ${requestedQueryCost}; the limit is ${this.maxCost}. Ask for fewer items (first/last) or fewer fields.`,
        { limit: this.maxCost, actual: requestedQueryCost },
        { nodes: operation, http: { status: 400 } },
      );
      if (!this.buckets) return { cost: { requestedQueryCost }, refusal };
      return then(this.buckets.peek(credential), (status) => ({ cost: costOf(requestedQueryCost, status), refusal }));
    }
    if (!this.buckets) return { cost: { requestedQueryCost } };
    return then(this.buckets.take(credential, requestedQueryCost), (taken) => this.outcome(requestedQueryCost, taken));
  }

  private outcome(requestedQueryCost: number, taken: Take | null): Charge {
    const cost = costOf(requestedQueryCost, taken?.status ?? null);
    if (!taken || taken.granted) return { cost };
    const { retryAfterSeconds } = taken;
    const refusal = new LimitError(
      "RATE_LIMITED",
      `Rate limited: the operation costs ${requestedQueryCost} points and ${taken.status.currentlyAvailable} are available ` +
        `(${taken.status.restoreRate} restored per second). Retry in ${retryAfterSeconds} s.`,
      { retryAfter: retryAfterSeconds },
      { http: { status: 429, headers: new HeaderMap([["retry-after", String(retryAfterSeconds)]]) } },
    );
    return { cost, refusal };
  }
}

/** extensions.cost; without throttleStatus when the bucket could not be read (Redis unreachable). */
function costOf(requestedQueryCost: number, status: ThrottleStatus | null): CostExtension {
  return status ? { requestedQueryCost, throttleStatus: status } : { requestedQueryCost };
}

// One guard per server, so that HTTP and WebSocket share a credential's bucket; a server's Config
// object identifies it (each start loads its own).
const guards = new WeakMap<Config, CostGuard>();
function guardFor(config: Config): CostGuard {
  let guard = guards.get(config);
  if (!guard) guards.set(config, (guard = new CostGuard(config)));
  return guard;
}

/**
 * Prices an operation and takes its cost from the credential's bucket (the HTTP fast path's
 * limitsPlugin). Synchronous with this process's buckets; a promise with Redis's.
 */
export function operationCharger(config: Config): CostGuard["charge"] {
  const guard = guardFor(config);
  return (...args) => guard.charge(...args);
}

/** Every validation rule a document must pass: graphql-js's, the limits, and no introspection when it is off. */
export function allValidationRules(config: Config): ValidationRule[] {
  return [...specifiedRules, ...documentLimitRules(config), ...(config.INTROSPECTION ? [] : [NoSchemaIntrospectionCustomRule])];
}

/** Depth, aliases and directives per operation: Apollo's `validationRules`. */
export function limitValidationRules(config: Config): ValidationRule[] {
  return documentLimitRules(config);
}

/** Prices each operation with its variables, rate-limits it, and reports extensions.cost. */
export function limitsPlugin(config: Config): ApolloServerPlugin<Context> {
  const guard = guardFor(config);
  return {
    async requestDidStart() {
      let cost: CostExtension | undefined;
      return {
        async didResolveOperation({ request, document, operation, schema, contextValue }) {
          if (!operation) return; // execution reports the missing operation
          const charged = await guard.charge(schema, document, operation, request.variables, contextValue.principal.id);
          cost = charged.cost;
          if (charged.refusal) throw charged.refusal;
        },
        async willSendResponse({ response }) {
          if (cost && response.body.kind === "single") {
            response.body.singleResult.extensions = { ...response.body.singleResult.extensions, cost };
          }
        },
      };
    },
  };
}

/**
 * graphql-ws `onSubscribe`: parses and validates the document with the same limits as HTTP
 * (and the same introspection rule), prices it and takes its cost from the credential's bucket
 * once, when the subscription starts. Answers the errors to send, or the arguments to execute
 * (a promise of them when the buckets are in Redis).
 */
export function limitSubscription(config: Config, schema: GraphQLSchema) {
  const guard = guardFor(config);
  const rules = allValidationRules(config);
  return (payload: SubscribePayload, credential: string): MaybePromise<ExecutionArgs | readonly GraphQLError[]> => {
    const tooMany = tokenLimitError(config, [payload.query]);
    if (tooMany) return [tooMany];
    let document: DocumentNode;
    try {
      document = parse(payload.query, { maxTokens: config.MAX_TOKENS });
    } catch (error) {
      return [error instanceof GraphQLError ? error : new GraphQLError("The document cannot be parsed.")];
    }
    const errors = validate(schema, document, rules, { hideSuggestions: !config.INTROSPECTION });
    if (errors.length) return errors;
    const args: ExecutionArgs = { schema, document, operationName: payload.operationName, variableValues: payload.variables };
    const operation = getOperationAST(document, payload.operationName);
    if (!operation) return args; // graphql-ws answers "Unable to identify operation"
    return then(guard.charge(schema, document, operation, payload.variables, credential), ({ refusal }) => (refusal ? [refusal] : args));
  };
}
