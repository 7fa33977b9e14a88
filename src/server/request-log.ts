// One structured log line per GraphQL operation: request id, operation, duration, outcome and
// cost — never variables, results or error messages, which may carry personal data.
import { randomUUID } from "node:crypto";
import type { ApolloServerPlugin, GraphQLResponse } from "@apollo/server";
import type { Logger } from "../lib/logger";
import type { Context } from "../resolvers/context";
import { statementScope } from "../db/client";

/** The request's id: the client's X-Request-Id (up to 100 characters), else a new one. */
export function requestIdOf(header: string | string[] | undefined): string {
  return (typeof header === "string" ? header.slice(0, 100) : "") || randomUUID();
}

/** Writes the operation's log line; `started` is process.hrtime.bigint() when the request arrived. */
export function logOperation(
  logger: Logger,
  line: { requestId: string; started: bigint; operation: string | null; operationName: string | null; principal: string | null; errorCodes: readonly string[] },
): void {
  const codes = [...new Set(line.errorCodes)];
  logger.info(
    {
      requestId: line.requestId,
      operation: line.operation,
      operationName: line.operationName,
      principal: line.principal,
      durationMs: Number(process.hrtime.bigint() - line.started) / 1e6,
      outcome: codes.length ? "error" : "ok",
      errorCodes: codes,
      sqlStatements: statementScope.getStore()?.sqlStatements,
    },
    "graphql request",
  );
}

export function requestLogPlugin(logger: Logger): ApolloServerPlugin<Context> {
  return {
    async requestDidStart({ request }) {
      const started = process.hrtime.bigint();
      const requestId = requestIdOf(request.http?.headers.get("x-request-id"));
      return {
        async willSendResponse({ response, operation, operationName, contextValue }) {
          response.http.headers.set("x-request-id", requestId);
          logOperation(logger, {
            requestId,
            started,
            operation: operation?.operation ?? null,
            operationName: operationName ?? null,
            principal: contextValue?.principal?.id ?? null,
            errorCodes: sentErrorCodes(response),
          });
        },
      };
    },
  };
}

/** The codes of the errors as the client got them, after the error map gave each its code. */
export function sentErrorCodes(response: GraphQLResponse): string[] {
  const sent = response.body.kind === "single" ? (response.body.singleResult.errors ?? []) : [];
  return sent.map((e) => String(e.extensions?.code ?? "INTERNAL_SERVER_ERROR"));
}
