// The errors of the query limits and of rate limiting: each carries its code and the numbers a
// client needs (limit and actual value, or seconds to wait) in extensions.
import type { HTTPGraphQLHead } from "@apollo/server";
import { GraphQLError, type ASTNode } from "graphql";

export type LimitCode =
  | "QUERY_TOO_DEEP"
  | "TOO_MANY_ALIASES"
  | "TOO_MANY_TOKENS"
  | "TOO_MANY_DIRECTIVES"
  | "QUERY_TOO_COMPLEX"
  | "RATE_LIMITED";

export class LimitError extends GraphQLError {
  constructor(
    readonly code: LimitCode,
    message: string,
    readonly details: Record<string, number>,
    options: { nodes?: ASTNode | readonly ASTNode[]; http?: Partial<HTTPGraphQLHead> } = {},
  ) {
    super(message, {
      nodes: options.nodes,
      // Apollo takes `http` (status, headers) out of extensions before the error map sees them.
      extensions: { code, ...details, ...(options.http ? { http: options.http } : {}) },
    });
    this.name = "LimitError";
  }
}

/**
 * The extensions a client sees for a limit error: its code and numbers. Apollo wraps validation
 * errors (code GRAPHQL_VALIDATION_FAILED), so the original is looked for along originalError.
 * Undefined for any other error.
 */
export function limitErrorExtensions(error: unknown): Record<string, unknown> | undefined {
  let e: unknown = error;
  for (let hop = 0; hop < 3 && e instanceof GraphQLError; hop++) {
    if (e instanceof LimitError) return { code: e.code, ...e.details };
    e = e.originalError;
  }
  return undefined;
}
