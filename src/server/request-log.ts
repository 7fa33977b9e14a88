// One structured log line per GraphQL operation: request id, operation, duration, outcome and
// cost — never variables, results or error messages, which may carry personal data.
import { randomUUID } from "node:crypto";
import type { ApolloServerPlugin, GraphQLResponse } from "@apollo/server";
import type { Logger } from "../lib/logger";
import type { Context } from "../resolvers/context";
import { statementScope } from "../db/client";

export function requestLogPlugin(logger: Logger): ApolloServerPlugin<Context> {
  return {
    async requestDidStart({ request }) {
      const started = process.hrtime.bigint();
      const requestId = request.http?.headers.get("x-request-id")?.slice(0, 100) || randomUUID();
      return {
        async willSendResponse({ response, operation, operationName, contextValue }) {
          response.http.headers.set("x-request-id", requestId);
          const codes = [...new Set(sentErrorCodes(response))];
          logger.info(
            {
              requestId,
              operation: operation?.operation ?? null,
              operationName: operationName ?? null,
              principal: contextValue?.principal?.id ?? null,
              durationMs: Number(process.hrtime.bigint() - started) / 1e6,
              outcome: codes.length ? "error" : "ok",
              errorCodes: codes,
              sqlStatements: statementScope.getStore()?.sqlStatements,
            },
            "graphql request",
          );
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
