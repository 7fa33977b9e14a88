// Idempotency-Key on mutation requests: the first response is kept for 24 h and replayed to a
// retry with the same body; another body with the same key gets IDEMPOTENCY_CONFLICT. (Being written.)
import type { ApolloServerPlugin } from "@apollo/server";
import type { Context } from "../resolvers/context";
import type { AppDeps } from "./context";

export function idempotencyPlugin(_deps: AppDeps): ApolloServerPlugin<Context> {
  return {};
}
