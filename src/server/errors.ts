// The one error map: domain errors to GraphQL errors with extensions.code. Anything unexpected is
// logged here and reaches the client as INTERNAL_SERVER_ERROR, with no stack, SQL or message.
import { GraphQLError, type GraphQLFormattedError } from "graphql";
import { unwrapResolverError } from "@apollo/server/errors";
import { AppError } from "../services/errors";
import { limitErrorExtensions } from "./limits";
import type { Logger } from "../lib/logger";

// Codes graphql-js and Apollo give to problems with the request itself; safe to show.
const REQUEST_ERROR_CODES = new Set([
  "GRAPHQL_PARSE_FAILED",
  "GRAPHQL_VALIDATION_FAILED",
  "BAD_USER_INPUT",
  "BAD_REQUEST",
  "OPERATION_RESOLUTION_FAILURE",
  "PERSISTED_QUERY_NOT_FOUND",
  "PERSISTED_QUERY_NOT_SUPPORTED",
  "UNAUTHENTICATED",
]);

export function createErrorFormatter(logger: Logger) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    // Apollo unwraps a resolver's error (one with a path); graphql-ws wraps a failing stream's
    // error without a path (a subscriber that fell behind): that one is the domain error too.
    const unwrapped = unwrapResolverError(error);
    const original = unwrapped instanceof GraphQLError && unwrapped.originalError instanceof AppError ? unwrapped.originalError : unwrapped;
    const where = { locations: formatted.locations, path: formatted.path };
    // Query limits and rate limiting: their code with the limit and actual value, or retryAfter.
    const limited = limitErrorExtensions(error);
    if (limited) return { message: formatted.message, ...where, extensions: limited };
    if (original instanceof AppError) {
      return { message: original.message, ...where, extensions: { code: original.code, ...original.details } };
    }
    const code = formatted.extensions?.code;
    if (typeof code === "string" && REQUEST_ERROR_CODES.has(code) && original instanceof GraphQLError) {
      return { message: formatted.message, ...where, extensions: { code } };
    }
    logger.error({ err: original, path: formatted.path }, "unexpected error");
    return { message: "Internal server error", ...where, extensions: { code: "INTERNAL_SERVER_ERROR" } };
  };
}
