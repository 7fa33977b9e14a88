// Query limits (depth, aliases, tokens, directives, cost) checked before execution, the request's
// cost in extensions.cost, and cost-based rate limiting per credential. (Being written.)
import type { ApolloServerPlugin } from "@apollo/server";
import type { ValidationRule } from "graphql";
import type { Config } from "../config";
import type { Context } from "../resolvers/context";

export function limitValidationRules(_config: Config): ValidationRule[] {
  return [];
}

export function limitsPlugin(_config: Config): ApolloServerPlugin<Context> {
  return {};
}
