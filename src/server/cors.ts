// Cross-origin access for browsers: pages on the origins in CORS_ORIGINS may call /graphql and
// open its WebSocket. Credentials are tokens in the Authorization header (or connectionParams),
// never cookies, so Access-Control-Allow-Credentials is never sent: a page must hold the token
// itself, and a browser never attaches one on its own. Apollo's CSRF prevention stays on beside
// this: a request a browser would send without a preflight is refused by Apollo.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { RequestHandler } from "express";
import type { Config } from "../config";

/** Request headers a page may send: the credential, JSON, idempotency, Apollo's CSRF headers, tracing. */
export const CORS_ALLOWED_HEADERS = [
  "authorization",
  "content-type",
  "idempotency-key",
  "apollo-require-preflight",
  "x-apollo-operation-name",
  "x-request-id",
];
/** Response headers a page may read besides the CORS-safelisted ones. */
export const CORS_EXPOSED_HEADERS = ["retry-after", "idempotent-replayed", "x-request-id"];
const ALLOWED_METHODS = "GET, POST";
// How long a browser may reuse a preflight answer (Chromium caps it at 2 hours).
const PREFLIGHT_MAX_AGE_SECONDS = 600;

/** Whether an Origin header is one of the configured origins ("*" any; "http://host:*" any port). */
export function originMatcher(origins: readonly string[]): (origin: string) => boolean {
  if (origins.includes("*")) return () => true;
  const exact = new Set(origins.filter((o) => !o.endsWith(":*")));
  const anyPort = origins.filter((o) => o.endsWith(":*")).map((o) => o.slice(0, -":*".length));
  return (origin) => {
    const o = origin.toLowerCase();
    if (exact.has(o)) return true;
    return anyPort.some((base) => o === base || (o.startsWith(`${base}:`) && /^\d{1,5}$/.test(o.slice(base.length + 1))));
  };
}

/** Adds `field` to the response's Vary header once. */
function vary(res: ServerResponse, field: string): void {
  const current = res.getHeader("vary");
  if (current === undefined) res.setHeader("Vary", field);
  else if (!String(current).toLowerCase().split(/\s*,\s*/).includes(field.toLowerCase())) res.setHeader("Vary", `${String(current)}, ${field}`);
}

/**
 * The CORS headers of an actual (not preflight) request: Vary, and the allowed origin with the
 * headers a page may read when its Origin is allowed. Express's middleware and the fast path share it.
 */
export function corsHeaders(config: Config): (req: IncomingMessage, res: ServerResponse) => void {
  const allowed = originMatcher(config.CORS_ORIGINS);
  const anyOrigin = config.CORS_ORIGINS.includes("*");
  return (req, res) => {
    // The answer depends on the Origin header, so shared caches must keep one per origin.
    if (!anyOrigin) vary(res, "Origin");
    const origin = req.headers.origin;
    if (origin === undefined || !allowed(origin)) return;
    res.setHeader("Access-Control-Allow-Origin", anyOrigin ? "*" : origin);
    res.setHeader("Access-Control-Expose-Headers", CORS_EXPOSED_HEADERS.join(", "));
  };
}

/**
 * Answers preflights (204 with the allowed methods and headers, or 403 for an origin not
 * allowed) and marks the responses to allowed origins. Mount on /graphql before everything else.
 */
export function corsMiddleware(config: Config): RequestHandler {
  const allowed = originMatcher(config.CORS_ORIGINS);
  const anyOrigin = config.CORS_ORIGINS.includes("*");
  const actual = corsHeaders(config);
  return (req, res, next) => {
    const preflight = req.method === "OPTIONS" && req.headers["access-control-request-method"] !== undefined;
    if (!preflight) {
      actual(req, res);
      next();
      return;
    }
    const origin = req.headers.origin;
    if (!anyOrigin) vary(res, "Origin");
    if (origin === undefined || !allowed(origin)) {
      res.status(403).type("text/plain").send("This origin may not call this API (CORS_ORIGINS).\n");
      return;
    }
    res.setHeader("Access-Control-Allow-Origin", anyOrigin ? "*" : origin);
    vary(res, "Access-Control-Request-Headers");
    res.setHeader("Access-Control-Allow-Methods", ALLOWED_METHODS);
    res.setHeader("Access-Control-Allow-Headers", CORS_ALLOWED_HEADERS.join(", "));
    res.setHeader("Access-Control-Max-Age", String(PREFLIGHT_MAX_AGE_SECONDS));
    res.status(204).end();
  };
}

/**
 * Browsers do not apply CORS to WebSockets, but they always send Origin: a page from an origin
 * not allowed must not subscribe with whatever credential it can reach (in development, the
 * anonymous loopback caller). Clients that are not browsers send no Origin and are not affected;
 * the explorer's own page is same-origin.
 */
export function webSocketOriginCheck(config: Config): (request: IncomingMessage) => boolean {
  const allowed = originMatcher(config.CORS_ORIGINS);
  return (request) => {
    const origin = request.headers.origin;
    if (origin === undefined) return true;
    if (allowed(origin)) return true;
    try {
      return new URL(origin).host === request.headers.host;
    } catch {
      return false;
    }
  };
}
