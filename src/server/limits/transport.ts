// Express middleware for /graphql, before Apollo sees a request: the JSON body with its size
// limit, batch size, and the token limit over every document of the request. Refusals are JSON
// GraphQL errors, never express's HTML error page.
import express, { type ErrorRequestHandler, type RequestHandler, type Response } from "express";
import type { Config } from "../../config";
import { tokenLimitError } from "./document";

/** A refusal in the shape of a GraphQL response, as Apollo's own request errors are. */
function refuse(res: Response, status: number, message: string, extensions: Record<string, unknown>): void {
  res.status(status).json({ errors: [{ message, extensions }] });
}

/** What body-parser passes on when it cannot read a body (http-errors with a `type`). */
interface BodyParserError {
  status: number;
  type: string;
  /** The declared Content-Length, when there was one. */
  length?: number;
}

function isBodyParserError(err: unknown): err is BodyParserError {
  const e = err as Partial<BodyParserError> | null;
  return typeof e === "object" && e !== null && typeof e.type === "string" && typeof e.status === "number" && e.status >= 400 && e.status < 500;
}

function bodyErrors(config: Config): ErrorRequestHandler {
  return (err, _req, res, next) => {
    if (!isBodyParserError(err)) return next(err);
    if (err.type === "entity.too.large") {
      const actual = typeof err.length === "number" ? { actual: err.length } : {};
      return refuse(res, 413, `The request body is larger than ${config.MAX_BODY_BYTES} bytes.`, {
        code: "PAYLOAD_TOO_LARGE",
        limit: config.MAX_BODY_BYTES,
        ...actual,
      });
    }
    const message = err.type === "entity.parse.failed" ? "The request body is not valid JSON." : "The request body cannot be read.";
    refuse(res, err.status, message, { code: "BAD_REQUEST" });
  };
}

/** The `query` strings of a request: one for GET and a single POST, one per operation of a batch. */
function documentsOf(method: string, body: unknown, query: unknown): string[] {
  const items = method === "GET" ? [query] : Array.isArray(body) ? body : [body];
  const documents: string[] = [];
  for (const item of items) {
    const document = (item as { query?: unknown } | null)?.query;
    if (typeof document === "string") documents.push(document);
  }
  return documents;
}

function requestLimits(config: Config): RequestHandler {
  return (req, res, next) => {
    const body: unknown = req.body;
    if (req.method === "POST" && Array.isArray(body) && body.length > config.MAX_BATCH_SIZE) {
      return refuse(res, 400, `A batch may hold at most ${config.MAX_BATCH_SIZE} operations; this one has ${body.length}.`, {
        code: "BAD_REQUEST",
        limit: config.MAX_BATCH_SIZE,
        actual: body.length,
      });
    }
    const tooMany = tokenLimitError(config, documentsOf(req.method, body, req.query));
    if (tooMany) return refuse(res, 400, tooMany.message, { code: tooMany.code, ...tooMany.details });
    next();
  };
}

/**
 * Mount on /graphql in place of express.json(), before Apollo's middleware. Bodies over
 * MAX_BODY_BYTES get 413; batches over MAX_BATCH_SIZE get 400 BAD_REQUEST; documents with more
 * than MAX_TOKENS tokens (a batch's documents counted together) get 400 TOO_MANY_TOKENS, so
 * that none of a refused batch runs.
 */
export function limitsMiddleware(config: Config): express.Router {
  return express.Router().use(express.json({ limit: config.MAX_BODY_BYTES }), bodyErrors(config), requestLimits(config));
}
