import { Authorized, Arg, Ctx, ID, Query, Resolver } from "type-graphql";
import { idKind } from "../lib/ids";
import { AppError } from "../services/errors";
import { Node } from "../types/common.types";
import type { Context } from "./context";

const MAX_NODES = 100;

function loadNode(ctx: Context, id: string): Promise<object | null> | null {
  switch (idKind(id)) {
    case "customer":
      return ctx.loaders.customer.load(id);
    case "organization":
      return ctx.loaders.organization.load(id);
    case "address":
      return ctx.loaders.address.load(id);
    case "document":
      return ctx.loaders.document.load(id);
    case "event":
      return ctx.loaders.event.load(id);
    case "webhook":
      return ctx.principal.scopes.includes("webhooks:manage") ? ctx.services.webhooks.get(ctx.actor, id) : null;
    default:
      return null;
  }
}

@Resolver()
export class NodeResolver {
  @Authorized("customers:read")
  @Query(() => Node, { nullable: true, description: "Any object by its global id; null when there is none." })
  node(@Arg("id", () => ID, { description: "A global id, e.g. cus_..., org_..., adr_..., doc_..., evt_..." }) id: string, @Ctx() ctx: Context) {
    return loadNode(ctx, id);
  }

  @Authorized("customers:read")

  @Query(() => [Node], { nullable: "items", description: "Objects by global id, in the order asked; null for each id with none (at most 100)." })
  nodes(@Arg("ids", () => [ID], { description: "Global ids." }) ids: string[], @Ctx() ctx: Context) {
    if (ids.length > MAX_NODES) throw new AppError("BAD_USER_INPUT", `ids must have at most ${MAX_NODES} items.`, { argument: "ids" });
    return Promise.all(ids.map((id) => loadNode(ctx, id)));
  }
}
