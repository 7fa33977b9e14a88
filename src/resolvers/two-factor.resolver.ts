import { Authorized, Arg, Ctx, Mutation, Resolver } from "type-graphql";
import { CustomerIdInput } from "../types/customer.input";
import { CustomerPayload } from "../types/payloads";
import {
  SetTwoFactorTargetInput,
  TwoFactorChallengePayload,
  TwoFactorVerificationPayload,
  VerifyTwoFactorInput,
} from "../types/two-factor.type";
import type { Context } from "./context";
import { payload } from "./mutation";

@Resolver()
export class TwoFactorResolver {
  @Authorized("customers:write")
  @Mutation(() => CustomerPayload, { description: "Sets where a person's two-factor codes are sent; the target is write-only (`Person.twoFactor` shows it masked). Cancels open challenges." })
  setTwoFactorTarget(@Arg("input", () => SetTwoFactorTargetInput, { description: "The customer and the target." }) input: SetTwoFactorTargetInput, @Ctx() ctx: Context) {
    return payload(ctx, async () => ({ customer: await ctx.services.twoFactor.setTarget(ctx.actor, input) }));
  }

  @Authorized("customers:write")

  @Mutation(() => TwoFactorChallengePayload, { description: "Sends a new one-time code to the customer's two-factor target, cancelling earlier open challenges. INVALID_STATE when no target is set." })
  startTwoFactorChallenge(@Arg("input", () => CustomerIdInput, { description: "The customer." }) input: CustomerIdInput, @Ctx() ctx: Context) {
    return payload(ctx, async () => ({ challenge: await ctx.services.twoFactor.startChallenge(ctx.actor, input) }));
  }

  @Authorized("customers:write")

  @Mutation(() => TwoFactorVerificationPayload, { description: "Checks a code. A wrong code uses up an attempt (the last one locks the challenge); a used, locked or expired challenge is CHALLENGE_EXPIRED." })
  async verifyTwoFactorChallenge(@Arg("input", () => VerifyTwoFactorInput, { description: "The challenge and the code." }) input: VerifyTwoFactorInput, @Ctx() ctx: Context) {
    const result = await payload(ctx, () => ctx.services.twoFactor.verifyChallenge(ctx.actor, input));
    // Refused: the non-null answer fields say "no match, nothing left".
    return { codeMatch: false, attemptsLeft: 0, ...result };
  }
}
