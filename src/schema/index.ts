// The executable schema, built once from the resolver classes. schema.graphql is its printout.
import "reflect-metadata";
import { lexicographicSortSchema, printSchema, type GraphQLSchema } from "graphql";
import { buildSchemaSync, type PubSub } from "type-graphql";
import { AddressResolver } from "../resolvers/address.resolver";
import { CustomerResolver } from "../resolvers/customer.resolver";
import { DocumentResolver } from "../resolvers/document.resolver";
import { EventResolver } from "../resolvers/event.resolver";
import { MembershipResolver } from "../resolvers/membership.resolver";
import { NodeResolver } from "../resolvers/node.resolver";
import { OrganizationResolver } from "../resolvers/organization.resolver";
import { PersonResolver } from "../resolvers/person.resolver";
import { ViewerResolver } from "../resolvers/viewer.resolver";

// type-graphql wants a PubSub as soon as one subscription exists. Ours subscribe through the
// server's own event bus in the context (the `subscribe` option), so topic-based ones are refused.
const contextBusOnly: PubSub = {
  publish() {
    throw new Error("Publish through ctx.bus; topic-based subscriptions are not used.");
  },
  subscribe() {
    throw new Error("Subscribe through ctx.bus; topic-based subscriptions are not used.");
  },
};

let built: GraphQLSchema | undefined;

export function buildCustomerSchema(): GraphQLSchema {
  built ??= buildSchemaSync({
    resolvers: [
      NodeResolver,
      ViewerResolver,
      CustomerResolver,
      PersonResolver,
      AddressResolver,
      DocumentResolver,
      OrganizationResolver,
      MembershipResolver,
      EventResolver,
    ],
    validate: false,
    pubSub: contextBusOnly,
  });
  return built;
}

/** The SDL committed as schema.graphql: sorted, so that diffs show real changes only. */
export function printCustomerSchema(): string {
  return `${printSchema(lexicographicSortSchema(buildCustomerSchema()))}\n`;
}
