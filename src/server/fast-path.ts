// The common request, answered without express or Apollo's request pipeline: one JSON POST to
// /graphql whose document parses and validates, and which is not a subscription, a persisted
// query or a mutation with an Idempotency-Key. Parsing and validation are cached per document,
// the operation runs compiled (graphql-jit, shared with Apollo's executor), and the request gets
// what Apollo gives it: the same context and authentication, cost and rate limit, error map and
// HTTP status, extensions, CORS headers, X-Request-Id, log line and metrics.
//
// Every request this path would refuse (a body that is not JSON, a document that does not parse
// or validate, no credential, bad variables, a limit) is handed to express and Apollo unchanged,
// with the body already read, so that error answers have one source. A refused request has taken
// nothing: authentication and pricing have no effects, and a refusal takes nothing from the bucket.
import type { IncomingMessage, ServerResponse } from "node:http";
import Negotiator from "negotiator";
import {
  GraphQLError,
  execute as executeGraphQL,
  getOperationAST,
  parse,
  validate,
  type DocumentNode,
  type ExecutionResult,
  type GraphQLFormattedError,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type ValidationRule,
} from "graphql";
import type { Config } from "../config";
import { statementScope } from "../db/client";
import type { Logger } from "../lib/logger";
import type { Context } from "../resolvers/context";
import { corsHeaders } from "./cors";
import type { CompiledOperations } from "./executor";
import { allValidationRules, operationCharger, type CostExtension } from "./limits";
import { tokenLimitError } from "./limits/document";
import type { Metrics } from "./metrics";
import { logOperation, requestIdOf } from "./request-log";

/** Documents remembered as runnable (or not); the least recently used are dropped beyond these. */
const MAX_DOCUMENTS = 1000;
// Parsed, a document takes about fifty times its text in memory: 2 MiB of text is about 100 MB.
const MAX_DOCUMENT_BYTES = 2 * 1024 * 1024;
const JSON_TYPE = /^application\/json\s*(;\s*charset\s*=\s*"?utf-8"?\s*)?$/i;
const BODY_KEYS = new Set(["query", "operationName", "variables"]);
// The response types Apollo offers for a single result, in its order of preference.
const JSON_MEDIA = "application/json; charset=utf-8";
const GRAPHQL_RESPONSE_MEDIA = "application/graphql-response+json; charset=utf-8";
const OFFERED = [JSON_MEDIA, GRAPHQL_RESPONSE_MEDIA, "application/json; callbackSpec=1.0; charset=utf-8"];
const MAX_ACCEPT_HEADERS = 100;

interface Prepared {
  /** Names the document in the compiled operations' cache (the text itself may be large). */
  id: number;
  document: DocumentNode;
  operations: Map<string, OperationDefinitionNode | null>;
}

interface Request {
  query: string;
  operationName: string | null;
  variables: Record<string, unknown>;
}

type FormatError = (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError;

export interface FastPathOptions {
  config: Config;
  schema: GraphQLSchema;
  /** Authenticates and builds the request's context; throws (UNAUTHENTICATED) without a credential. */
  contextFor(credentials: { authorization?: string; remoteAddress?: string }): Promise<Context>;
  /** Runs the compiled operation (EXECUTOR=jit); without it graphql-js executes. */
  operations: CompiledOperations | null;
  formatError: FormatError;
  logger: Logger;
  metrics: Metrics | null;
}

export interface FastPath {
  /**
   * Answers the request when it is the common kind; otherwise calls `fallback` (for express and
   * Apollo), after setting `req.body` when the body has been read.
   */
  handle(req: IncomingMessage & { body?: unknown }, res: ServerResponse, fallback: () => void): void;
  /** From now on every request goes to the fallback (Apollo answers while it drains). */
  stop(): void;
}

export function createFastPath(options: FastPathOptions): FastPath {
  const { config, schema, operations, formatError, logger, metrics } = options;
  const rules: ValidationRule[] = allValidationRules(config);
  const charge = operationCharger(config);
  const cors = corsHeaders(config);
  const documents = new Map<string, Prepared | null>();
  let documentBytes = 0;
  let lastId = 0;
  const contentTypes = new Map<string, string | null>();
  let stopped = false;

  /** The content type Apollo would answer with for this Accept header; null: Apollo answers (406 or others). */
  function contentTypeFor(accept: string | undefined): string | null {
    if (accept === undefined) return JSON_MEDIA;
    let chosen = contentTypes.get(accept);
    if (chosen === undefined) {
      const preferred = new Negotiator({ headers: { accept } }).mediaType(OFFERED);
      // Apollo's callback format (for subscriptions over HTTP callbacks) is Apollo's to answer.
      chosen = preferred === JSON_MEDIA || preferred === GRAPHQL_RESPONSE_MEDIA ? preferred : null;
      if (contentTypes.size >= MAX_ACCEPT_HEADERS) contentTypes.clear();
      contentTypes.set(accept, chosen);
    }
    return chosen;
  }

  /**
   * The parsed, valid document, or null when Apollo must answer (cached either way, by its text,
   * within MAX_DOCUMENTS and MAX_DOCUMENT_BYTES of text: documents over 64 KiB are parsed every time).
   */
  function prepare(query: string): Prepared | null {
    const cached = documents.get(query);
    if (cached !== undefined) {
      documents.delete(query);
      documents.set(query, cached);
      return cached;
    }
    let prepared: Prepared | null = null;
    if (!tokenLimitError(config, [query])) {
      try {
        const document = parse(query, { maxTokens: config.MAX_TOKENS });
        if (validate(schema, document, rules).length === 0) prepared = { id: ++lastId, document, operations: new Map() };
      } catch {
        // Does not parse: Apollo answers GRAPHQL_PARSE_FAILED.
      }
    }
    if (query.length > MAX_DOCUMENT_BYTES / 32) return prepared;
    while (documents.size >= MAX_DOCUMENTS || (documents.size > 0 && documentBytes + query.length > MAX_DOCUMENT_BYTES)) {
      const oldest = documents.keys().next().value!;
      documents.delete(oldest);
      documentBytes -= oldest.length;
    }
    documents.set(query, prepared);
    documentBytes += query.length;
    return prepared;
  }

  function operationOf(prepared: Prepared, name: string | null): OperationDefinitionNode | null {
    // "" is a name (one no operation has), not the absence of one.
    const key = name === null ? "\0" : `:${name}`;
    let operation = prepared.operations.get(key);
    if (operation === undefined) prepared.operations.set(key, (operation = getOperationAST(prepared.document, name) ?? null));
    return operation;
  }

  function execute(prepared: Prepared, request: Request, context: Context): Promise<ExecutionResult> | ExecutionResult {
    if (operations) return operations.execute(`fast:${prepared.id}${request.operationName === null ? "\0" : `:${request.operationName}`}`, prepared.document, request.operationName, context, request.variables);
    return executeGraphQL({ schema, document: prepared.document, operationName: request.operationName, contextValue: context, variableValues: request.variables });
  }

  async function answer(
    req: IncomingMessage,
    res: ServerResponse,
    request: Request,
    prepared: Prepared,
    operation: OperationDefinitionNode,
    contentType: string,
    fallback: () => void,
  ): Promise<void> {
    const started = process.hrtime.bigint();
    const answered = metrics?.operationStarted();
    let context: Context;
    try {
      context = await options.contextFor({ authorization: req.headers.authorization, remoteAddress: req.socket.remoteAddress });
    } catch {
      return fallback();
    }
    const charging = charge(schema, prepared.document, operation, request.variables, context.principal.id);
    const charged = charging instanceof Promise ? await charging : charging;
    if (charged.refusal) return fallback();
    let result = await execute(prepared, request, context);
    if (operation.operation === "mutation") await afterCommitWork();
    // Variables that do not coerce: nothing ran, and the answer is 400 BAD_USER_INPUT (as Apollo's).
    const coercion = result.data === undefined;
    if (coercion) result = { ...result, errors: result.errors?.map(asBadUserInput) };
    const formatted = formatErrors(result.errors, formatError);
    const { errors } = formatted;
    const status = coercion && formatted.status === 200 ? 400 : formatted.status;
    const extensions: Record<string, unknown> = { ...result.extensions, cost: charged.cost satisfies CostExtension };
    const scope = statementScope.getStore();
    if (scope && !config.production) extensions.sqlStatements = scope.sqlStatements;
    // Apollo's field order (errors, data, extensions) and its closing newline.
    const body = `${JSON.stringify({ errors, data: result.data, extensions })}\n`;
    const requestId = requestIdOf(req.headers["x-request-id"]);
    // Logged and counted before the response leaves, as Apollo's willSendResponse hooks do; the
    // operation's name is the one the document gives when the request names none.
    const codes = errors?.map((e) => String(e.extensions?.code ?? "INTERNAL_SERVER_ERROR")) ?? [];
    const operationName = operation.name?.value ?? null;
    logOperation(logger, { requestId, started, operation: operation.operation, operationName, principal: context.principal.id, errorCodes: codes });
    answered?.(operationName, operation.operation, codes);
    cors(req, res);
    res.writeHead(status, {
      "content-type": contentType,
      "content-length": Buffer.byteLength(body),
      "x-request-id": requestId,
    });
    res.end(body);
  }

  function handleBody(req: IncomingMessage & { body?: unknown }, res: ServerResponse, raw: string, fallback: () => void): void {
    let body: unknown;
    try {
      // As body-parser: a leading byte order mark is not part of the JSON, and in its strict mode
      // only an object or an array is a body.
      const text = raw.charCodeAt(0) === 0xfeff ? raw.slice(1) : raw;
      if (!/^[\x20\x09\x0a\x0d]*[[{]/.test(text)) throw new SyntaxError("not an object or array");
      body = JSON.parse(text);
    } catch {
      // Apollo never sees a body that is not JSON: the answer is the body parser's (limits/transport).
      return sendJson(res, 400, { errors: [{ message: "The request body is not valid JSON.", extensions: { code: "BAD_REQUEST" } }] }, () => cors(req, res));
    }
    req.body = body;
    const request = commonRequest(body);
    const prepared = request && prepare(request.query);
    const operation = prepared && operationOf(prepared, request.operationName);
    if (!request || !prepared || !operation || operation.operation === "subscription") return fallback();
    if (operation.operation === "mutation" && req.headers["idempotency-key"] !== undefined) return fallback();
    const contentType = contentTypeFor(req.headers.accept);
    if (!contentType) return fallback();
    const run = () =>
      answer(req, res, request, prepared, operation, contentType, fallback).catch((error: unknown) => {
        logger.error({ err: error }, "fast path failed");
        if (!res.headersSent) sendJson(res, 500, { errors: [{ message: "Internal server error", extensions: { code: "INTERNAL_SERVER_ERROR" } }] }, () => cors(req, res));
        else res.destroy();
      });
    if (config.SQL_STATEMENT_COUNTS) statementScope.run({ sqlStatements: 0 }, run);
    else void run();
  }

  return {
    handle(req, res, fallback) {
      if (stopped || !isCommonPost(req, config.MAX_BODY_BYTES)) return fallback();
      const chunks: Buffer[] = [];
      req.on("data", (chunk: Buffer) => chunks.push(chunk));
      req.on("end", () => handleBody(req, res, Buffer.concat(chunks).toString("utf8"), fallback));
      req.on("error", () => res.destroy());
    },
    stop() {
      stopped = true;
    },
  };
}

/**
 * Resolves once the work a mutation's commit set off in this process has run up to its first wait
 * for I/O: an immediate callback runs only after the microtasks before it. On SQLite, whose reads
 * are synchronous, that includes delivering the mutation's events to this instance's subscribers,
 * so the answer does not overtake its own event on a subscription to the same instance, and a
 * client sending mutations one after another is held to the pace at which their events go out
 * instead of queueing deliveries behind them. (On PostgreSQL the delivery reads over the network
 * and may still be under way.)
 */
export function afterCommitWork(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** POST /graphql with a JSON body of a declared length within the limit, sent as is. */
function isCommonPost(req: IncomingMessage, maxBytes: number): boolean {
  if (req.method !== "POST" || (req.url !== "/graphql" && req.url !== "/graphql/")) return false;
  const { headers } = req;
  const length = Number(headers["content-length"]);
  if (!(length > 0 && length <= maxBytes)) return false;
  if (headers["content-encoding"] !== undefined && headers["content-encoding"] !== "identity") return false;
  return JSON_TYPE.test(headers["content-type"] ?? "");
}

/** The body as one operation with no extensions (persisted queries and batches go to Apollo), else null. */
function commonRequest(body: unknown): Request | null {
  if (typeof body !== "object" || body === null || Array.isArray(body)) return null;
  const fields = body as Record<string, unknown>;
  for (const key in fields) if (!BODY_KEYS.has(key)) return null;
  const { query, operationName, variables } = fields;
  if (typeof query !== "string") return null;
  if (operationName !== undefined && operationName !== null && typeof operationName !== "string") return null;
  if (variables !== undefined && variables !== null && (typeof variables !== "object" || Array.isArray(variables))) return null;
  return { query, operationName: operationName ?? null, variables: (variables as Record<string, unknown> | null | undefined) ?? {} };
}

/**
 * Apollo's treatment of execution errors: each becomes a GraphQLError with a code (default
 * INTERNAL_SERVER_ERROR) and goes through the error map; an `http` extension sets the status.
 */
function formatErrors(errors: readonly GraphQLError[] | undefined, formatError: FormatError): { errors: GraphQLFormattedError[] | undefined; status: number } {
  let status = 200;
  if (!errors?.length) return { errors: undefined, status };
  const formatted = errors.map((error) => {
    const graphqlError = error instanceof GraphQLError ? error : new GraphQLError(String((error as Error)?.message ?? error), { originalError: error as Error });
    const extensions: Record<string, unknown> = { ...graphqlError.extensions, code: graphqlError.extensions.code ?? "INTERNAL_SERVER_ERROR" };
    const http = extensions.http as { status?: unknown } | undefined;
    if (http && typeof http === "object") {
      if (typeof http.status === "number") status = http.status;
      delete extensions.http;
    }
    try {
      return formatError({ ...graphqlError.toJSON(), extensions }, error);
    } catch {
      return { message: "Internal server error", extensions: { code: "INTERNAL_SERVER_ERROR" } };
    }
  });
  return { errors: formatted, status };
}

function asBadUserInput(error: GraphQLError): GraphQLError {
  if (error.extensions.code !== undefined) return error;
  return new GraphQLError(error.message, { nodes: error.nodes, source: error.source, positions: error.positions, path: error.path, originalError: error.originalError, extensions: { ...error.extensions, code: "BAD_USER_INPUT" } });
}

function sendJson(res: ServerResponse, status: number, value: unknown, headers: () => void): void {
  const body = JSON.stringify(value); // as express's res.json, which answered these before
  headers();
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(body) });
  res.end(body);
}
