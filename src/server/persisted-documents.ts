// Trusted documents (TRUSTED_DOCUMENTS): a manifest of the operations this API's own clients send,
// built with them (GraphQL Codegen's persisted documents, or Apollo's persisted query manifest).
// Clients then send a document's hash instead of its text, and in "enforce" mode nothing else runs:
// an attacker cannot send the expensive or probing queries nobody wrote.
//
//   { "documentId": "sha256:<hex>" }                                GraphQL over HTTP persisted documents
//   { "extensions": { "persistedQuery": { "sha256Hash": "<hex>" } } }   Apollo's APQ wire format
//   { "query": "<text>" }                                           only if listed (enforce), else as usual
//
// Listed documents are resolved here, before Apollo; everything else goes on to Apollo's own
// automatic persisted queries (APQ), whose cache can then only ever hold listed documents in
// enforce mode, since registering a document means sending its text. The same rules apply to
// WebSocket subscriptions (graphql-ws needs `query`: send "" with the hash).
import { createHash } from "node:crypto";
import fs from "node:fs";
import type { RequestHandler } from "express";
import { GraphQLError, parse, validate, type GraphQLSchema } from "graphql";
import type { SubscribePayload } from "graphql-ws";
import type { Config } from "../config";
import type { Logger } from "../lib/logger";

export type PersistedDocumentCode = "PERSISTED_QUERY_NOT_ALLOWED" | "PERSISTED_QUERY_NOT_FOUND";

export class PersistedDocumentError extends GraphQLError {
  constructor(
    readonly code: PersistedDocumentCode,
    message: string,
  ) {
    super(message, { extensions: { code } });
    this.name = "PersistedDocumentError";
  }
}

/** The extensions a client sees for a refused persisted document; undefined for other errors. */
export function persistedDocumentErrorExtensions(error: unknown): { code: PersistedDocumentCode } | undefined {
  return error instanceof PersistedDocumentError ? { code: error.code } : undefined;
}

/** One GraphQL-over-HTTP request (a GET's parameters, or one operation of a POST body). */
export interface OperationRequest {
  query?: unknown;
  documentId?: unknown;
  extensions?: unknown;
  [key: string]: unknown;
}

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");
const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** Reads a manifest: { id: document } (GraphQL Codegen) or Apollo's { format, version, operations }. */
function readManifest(file: string): Map<string, string> {
  let json: unknown;
  try {
    json = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (error) {
    throw new Error(`TRUSTED_DOCUMENTS: cannot read ${file}: ${(error as Error).message}`);
  }
  const entries: [unknown, unknown][] =
    isObject(json) && json.format === "apollo-persisted-query-manifest"
      ? (Array.isArray(json.operations) ? json.operations : []).map((o: unknown) => (isObject(o) ? [o.id, o.body] : [null, null]))
      : isObject(json)
        ? Object.entries(json)
        : [];
  if (!entries.length) {
    throw new Error(`TRUSTED_DOCUMENTS: ${file} holds no documents; expected { "<sha256>": "<document>", … } or an apollo-persisted-query-manifest`);
  }
  const documents = new Map<string, string>();
  for (const [id, body] of entries) {
    if (typeof id !== "string" || !id || typeof body !== "string" || !body) {
      throw new Error(`TRUSTED_DOCUMENTS: ${file}: every entry needs an id and a document (at ${JSON.stringify(id)})`);
    }
    documents.set(id, body);
  }
  return documents;
}

export class TrustedDocuments {
  /** By manifest id, and by the SHA-256 of the text (what APQ clients compute). */
  private readonly byId = new Map<string, string>();
  private readonly hashes = new Set<string>();

  constructor(
    readonly mode: Config["TRUSTED_DOCUMENTS_MODE"],
    documents: Map<string, string>,
  ) {
    for (const [id, document] of documents) {
      const hash = sha256(document);
      this.byId.set(id, document);
      this.byId.set(hash, document);
      this.hashes.add(hash);
    }
  }

  /**
   * Loads TRUSTED_DOCUMENTS. A document that does not parse stops the start; one that no longer
   * validates against the schema is logged (a client may not be updated yet) and fails when sent.
   */
  static load(config: Config, schema: GraphQLSchema, logger: Logger): TrustedDocuments | null {
    if (!config.TRUSTED_DOCUMENTS) return null;
    const documents = readManifest(config.TRUSTED_DOCUMENTS);
    for (const [id, document] of documents) {
      let errors: readonly GraphQLError[];
      try {
        errors = validate(schema, parse(document));
      } catch (error) {
        throw new Error(`TRUSTED_DOCUMENTS: document ${id} does not parse: ${(error as Error).message}`);
      }
      if (errors.length) logger.warn({ documentId: id, errors: errors.map((e) => e.message) }, "trusted document does not validate against the schema");
    }
    logger.info({ documents: documents.size, mode: config.TRUSTED_DOCUMENTS_MODE }, "trusted documents loaded");
    return new TrustedDocuments(config.TRUSTED_DOCUMENTS_MODE, documents);
  }

  /** A listed document by its manifest id or SHA-256, with or without the "sha256:" prefix. */
  documentFor(id: string): string | undefined {
    return this.byId.get(id) ?? (id.startsWith("sha256:") ? this.byId.get(id.slice("sha256:".length)) : undefined);
  }

  isListed(query: string): boolean {
    return this.hashes.has(sha256(query));
  }

  /**
   * The operation with a listed document's text in `query` (documentId and a listed hash are
   * replaced by it), or why it may not run. Unlisted hashes go on to Apollo's APQ.
   */
  resolve(operation: OperationRequest): OperationRequest | PersistedDocumentError {
    const { documentId, ...rest } = operation;
    if (typeof documentId === "string") {
      const document = this.documentFor(documentId);
      if (!document) return new PersistedDocumentError("PERSISTED_QUERY_NOT_FOUND", `No trusted document has the id "${documentId.slice(0, 100)}".`);
      return { ...rest, query: document };
    }
    if (typeof operation.query === "string" && operation.query !== "") {
      if (this.mode === "allow-unlisted" || this.isListed(operation.query)) return operation;
      return new PersistedDocumentError(
        "PERSISTED_QUERY_NOT_ALLOWED",
        "This server runs trusted documents only, and this one is not among them: send a listed document, or its documentId.",
      );
    }
    const extensions = isObject(operation.extensions) ? operation.extensions : {};
    const hash = isObject(extensions.persistedQuery) ? extensions.persistedQuery.sha256Hash : undefined;
    const document = typeof hash === "string" ? this.documentFor(hash) : undefined;
    if (!document) return operation;
    // Resolved here, so Apollo neither looks the hash up nor compares it with the text.
    const { persistedQuery: _resolved, ...otherExtensions } = extensions;
    return { ...operation, query: document, extensions: otherExtensions };
  }
}

/** A refusal in the shape of a GraphQL response, before Apollo sees the request. */
function refusal(error: PersistedDocumentError) {
  return { errors: [{ message: error.message, extensions: { code: error.code } }] };
}

/**
 * Express middleware for /graphql, after the body is parsed and before Apollo: resolves
 * documentId and listed hashes to their documents and, in enforce mode, refuses any other
 * document (the whole request, for a batch). GET requests are rewritten in their URL, which is
 * where Apollo reads them.
 */
export function persistedDocumentsMiddleware(documents: TrustedDocuments): RequestHandler {
  return (req, res, next) => {
    if (req.method === "POST") {
      const body: unknown = req.body;
      const operations = Array.isArray(body) ? body : [body];
      const resolved = operations.map((op) => (isObject(op) ? documents.resolve(op) : op));
      const refused = resolved.find((op) => op instanceof PersistedDocumentError);
      if (refused) return void res.status(400).json(refusal(refused));
      req.body = Array.isArray(body) ? resolved : resolved[0];
      return next();
    }
    if (req.method !== "GET") return next();
    const url = new URL(req.url, "http://localhost");
    const params = url.searchParams;
    let extensions: unknown;
    try {
      extensions = params.has("extensions") ? JSON.parse(params.get("extensions")!) : undefined;
    } catch {
      return next(); // Apollo answers the malformed parameter
    }
    const operation: OperationRequest = { query: params.get("query") ?? undefined, documentId: params.get("documentId") ?? undefined, extensions };
    const resolved = documents.resolve(operation);
    if (resolved instanceof PersistedDocumentError) return void res.status(400).json(refusal(resolved));
    if (resolved !== operation) {
      params.delete("documentId");
      params.set("query", String(resolved.query));
      if (isObject(resolved.extensions) && Object.keys(resolved.extensions).length) params.set("extensions", JSON.stringify(resolved.extensions));
      else params.delete("extensions");
      req.url = `${url.pathname}?${params}`;
    }
    next();
  };
}

/**
 * The same rules for a graphql-ws subscribe message: the payload to check and run, or the errors
 * to answer. `query` is required by graphql-ws; send "" with a documentId or persisted hash.
 */
export function resolveSubscription(documents: TrustedDocuments | null, payload: SubscribePayload): SubscribePayload | readonly GraphQLError[] {
  if (!documents) return payload;
  const resolved = documents.resolve(payload as unknown as OperationRequest);
  if (resolved instanceof PersistedDocumentError) return [resolved];
  if (typeof resolved.query !== "string" || resolved.query === "") {
    return [new PersistedDocumentError("PERSISTED_QUERY_NOT_FOUND", "No trusted document has this hash.")];
  }
  const { documentId: _id, ...rest } = resolved;
  return rest as unknown as SubscribePayload;
}
