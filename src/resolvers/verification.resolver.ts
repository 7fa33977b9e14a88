import { Authorized, Arg, Ctx, Mutation, Resolver } from "type-graphql";
import { CustomerIdInput } from "../types/customer.input";
import { DocumentPayload } from "../types/payloads";
import { ReviewDocumentInput, VerificationPayload } from "../types/verification.type";
import type { Context } from "./context";
import { verificationOf } from "./customer.resolver";
import { payload } from "./mutation";

@Resolver()
export class VerificationResolver {
  @Authorized("customers:write")
  @Mutation(() => VerificationPayload, {
    description: "Starts a new KYC verification session: a new URL for the customer; its older open sessions are cancelled.",
  })
  startVerification(@Arg("input", () => CustomerIdInput, { description: "The customer." }) input: CustomerIdInput, @Ctx() ctx: Context) {
    return payload(ctx, async () => {
      const customer = await ctx.services.verification.start(ctx.actor, input.id);
      return { customer, verification: verificationOf(customer) };
    });
  }

  @Authorized("customers:write")

  @Mutation(() => DocumentPayload, {
    description:
      "Records a reviewer's decision on a document (DOCUMENT_REVIEWED); the customer's verification follows from its documents. NO_CHANGES when status and response are already so.",
  })
  reviewDocument(@Arg("input", () => ReviewDocumentInput, { description: "The decision." }) input: ReviewDocumentInput, @Ctx() ctx: Context) {
    return payload(ctx, () => ctx.services.verification.review(ctx.actor, input));
  }
}
