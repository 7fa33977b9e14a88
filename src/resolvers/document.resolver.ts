import { Authorized, Arg, Ctx, Mutation, Resolver } from "type-graphql";
import { AddDocumentInput, IdInput } from "../types/customer.input";
import { DocumentPayload } from "../types/payloads";
import type { DocumentRow } from "../db/schema";
import type { Context } from "./context";
import { payload } from "./mutation";

async function withCustomer(ctx: Context, document: DocumentRow) {
  return { document, customer: await ctx.loaders.customer.load(document.customerId) };
}

@Resolver()
export class DocumentResolver {
  @Authorized("customers:write")
  @Mutation(() => DocumentPayload, { description: "Adds a document to a customer, PENDING review." })
  addDocument(@Arg("input", () => AddDocumentInput, { description: "The document." }) input: AddDocumentInput, @Ctx() ctx: Context) {
    return payload(ctx, async () => withCustomer(ctx, await ctx.services.customers.addDocument(ctx.actor, input)));
  }

  @Authorized("customers:write")

  @Mutation(() => DocumentPayload, { description: "Removes a document." })
  removeDocument(@Arg("input", () => IdInput, { description: "The document." }) input: IdInput, @Ctx() ctx: Context) {
    return payload(ctx, async () => withCustomer(ctx, await ctx.services.customers.removeDocument(ctx.actor, input.id)));
  }
}
