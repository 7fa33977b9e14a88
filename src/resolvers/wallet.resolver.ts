import { Authorized, Arg, Ctx, Mutation, Resolver } from "type-graphql";
import { CustomerPayload } from "../types/payloads";
import { VerifyWalletChallengeInput, WalletChallengeInput, WalletChallengePayload } from "../types/wallet.type";
import type { Context } from "./context";
import { payload } from "./mutation";

@Resolver()
export class WalletResolver {
  @Authorized("customers:write")
  @Mutation(() => WalletChallengePayload, { description: "Creates a single-use message that proves control of a wallet once signed with its key (EIP-191)." })
  requestWalletChallenge(@Arg("input", () => WalletChallengeInput, { description: "The customer and the wallet." }) input: WalletChallengeInput, @Ctx() ctx: Context) {
    return payload(ctx, async () => ({ challenge: await ctx.services.wallets.requestChallenge(ctx.actor, input) }));
  }

  @Authorized("customers:write")

  @Mutation(() => CustomerPayload, { description: "Checks a signed wallet challenge and links the wallet to the customer (WALLET_VERIFIED). SIGNATURE_INVALID leaves the challenge usable; CHALLENGE_EXPIRED when used or expired." })
  verifyWalletChallenge(@Arg("input", () => VerifyWalletChallengeInput, { description: "The challenge and its signature." }) input: VerifyWalletChallengeInput, @Ctx() ctx: Context) {
    return payload(ctx, async () => ({ customer: await ctx.services.wallets.verifyChallenge(ctx.actor, input) }));
  }
}
