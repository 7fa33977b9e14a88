// Executes HTTP operations with graphql-jit: each distinct document (Apollo's query hash plus the
// operation name) is compiled once into a plain function and cached; later requests for it skip
// graphql-js's per-field interpretation. Apollo Server accepts a custom executor through its
// gateway interface; parsing, validation (with the query limits), plugins, context and error
// formatting stay Apollo's. Subscriptions (graphql-ws) keep graphql-js's `subscribe`.
import type { ApolloServerOptionsWithGateway, BaseContext } from "@apollo/server";
import { GraphQLError, printSchema, type DocumentNode, type ExecutionResult, type GraphQLSchema } from "graphql";
import { compileQuery, isCompiledQuery, type CompiledQuery } from "graphql-jit";

type GatewayInterface = ApolloServerOptionsWithGateway<BaseContext>["gateway"];
type GatewayExecutor = NonNullable<Awaited<ReturnType<GatewayInterface["load"]>>["executor"]>;
type GatewaySchemaLoadOrUpdateCallback = Parameters<GatewayInterface["onSchemaLoadOrUpdate"]>[0];

/** Compiled documents kept; the least recently used one is dropped beyond this. */
const MAX_COMPILED = 1000;
/** Documents longer than this are compiled for each request, not kept: their code can be as large. */
const MAX_CACHED_SOURCE = 64 * 1024;

/**
 * Compiled operations by a key naming the document and operation; shared by Apollo's executor and
 * the HTTP fast path, so that a document is compiled once whichever path runs it first.
 */
export class CompiledOperations {
  private readonly compiled = new Map<string, CompiledQuery>();

  constructor(private readonly schema: GraphQLSchema) {}

  /** The compiled operation, or the errors compileQuery reports for what it cannot run. */
  get(key: string, document: DocumentNode, operationName: string | null | undefined): CompiledQuery | ExecutionResult {
    let query = this.compiled.get(key);
    if (query) {
      this.compiled.delete(key);
    } else {
      const result = compileQuery(this.schema, document, operationName ?? undefined, { disablingCapturingStackErrors: true });
      // Only documents that passed validation get here; compileQuery still reports what it cannot run.
      if (!isCompiledQuery(result)) return result;
      query = result;
      if ((document.loc?.source.body.length ?? 0) > MAX_CACHED_SOURCE) return query;
      if (this.compiled.size >= MAX_COMPILED) this.compiled.delete(this.compiled.keys().next().value!);
    }
    this.compiled.set(key, query);
    return query;
  }

  /** Runs the operation; its errors are graphql-js GraphQLErrors, as the error map expects. */
  async execute(key: string, document: DocumentNode, operationName: string | null | undefined, context: unknown, variables: Record<string, unknown>): Promise<ExecutionResult> {
    const query = this.get(key, document, operationName);
    if (!isCompiledQuery(query)) return query;
    // Variables without a prototype: graphql-jit reads a variable left out as the object's property,
    // which for a name like $constructor would be Object's own (graphql-js reads own keys only).
    return asGraphQLErrors(await query.query(undefined, context, Object.assign(Object.create(null) as Record<string, unknown>, variables)));
  }
}

/** Over HTTP a subscription would run once and end; it is refused with where to find it instead. */
const SUBSCRIPTION_OVER_HTTP = () =>
  new GraphQLError("Subscriptions are served over WebSocket (graphql-ws) at /graphql, not over HTTP.", {
    extensions: { code: "BAD_REQUEST", http: { status: 400 } },
  });

export function jitExecutor(operations: CompiledOperations): GatewayExecutor {
  return async (request) =>
    request.operation?.operation === "subscription"
      ? { errors: [SUBSCRIPTION_OVER_HTTP()] }
      : operations.execute(`${request.operationName === null || request.operationName === undefined ? "\0" : `:${request.operationName}`}:${request.queryHash}`, request.document, request.operationName, request.context, request.request.variables ?? {});
}

/**
 * graphql-jit reports errors with its own error class; the error map (and Apollo) expect
 * graphql-js GraphQLErrors wrapping the resolver's error. A result without data failed on its
 * variables, before execution: BAD_USER_INPUT, as graphql-js's coercion errors are.
 */
function asGraphQLErrors(result: ExecutionResult): ExecutionResult {
  if (!result.errors?.length) return result;
  const coercion = result.data === undefined;
  const errors = result.errors.map((e) => {
    const error = new GraphQLError(e.message, {
      path: e.path,
      originalError: e.originalError ?? undefined,
      extensions: coercion ? { code: "BAD_USER_INPUT" } : e.extensions,
    });
    // GraphQLError derives locations from AST nodes, which jit does not keep; its locations are right.
    if (e.locations) (error as { locations?: unknown }).locations = e.locations;
    return error;
  });
  return { ...result, errors };
}

/** A "gateway" that serves one fixed schema with the jit executor. */
export function jitGateway(schema: GraphQLSchema, operations: CompiledOperations): GatewayInterface {
  let onLoad: GatewaySchemaLoadOrUpdateCallback | null = null;
  return {
    onSchemaLoadOrUpdate(callback) {
      onLoad = callback;
      return () => {
        onLoad = null;
      };
    },
    async load() {
      onLoad?.({ apiSchema: schema, coreSupergraphSdl: printSchema(schema) });
      return { executor: jitExecutor(operations) };
    },
    async stop() {},
  };
}
