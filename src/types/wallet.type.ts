// Wallet ownership: a single-use message to sign with the wallet's key (EIP-191), and its check.
import { Field, ID, InputType, ObjectType } from "type-graphql";
import { DateTime } from "./scalars";
import { UserError } from "./common.types";

@InputType({ description: "Ask for a message that proves control of a wallet once signed with its key." })
export class WalletChallengeInput {
  @Field(() => ID, { description: "The customer the wallet is to be linked to." })
  customerId!: string;

  @Field(() => String, { description: "Ethereum address, 0x and 40 hex digits; mixed case must be a valid EIP-55 checksum. Stored checksummed." })
  address!: string;

  @Field(() => String, { nullable: true, defaultValue: "ethereum", description: "Chain the wallet is used on, e.g. \"ethereum\" or \"polygon\"; stored lower-case." })
  chain?: string | null;
}

@InputType({ description: "The signed challenge message." })
export class VerifyWalletChallengeInput {
  @Field(() => ID, { description: "The challenge (wch_...)." })
  challengeId!: string;

  @Field(() => String, { description: "EIP-191 (personal_sign) signature of the challenge's message, 0x-prefixed hex." })
  signature!: string;
}

@ObjectType({ simpleResolvers: true, description: "A single-use message to sign with a wallet's key (EIP-191 personal_sign)." })
export class WalletChallenge {
  @Field(() => ID, { description: "Id of the challenge (wch_...), to pass to verifyWalletChallenge." })
  id!: string;

  @Field(() => String, { description: "The exact text to sign; it names the address, chain, customer, a random nonce and the expiry." })
  message!: string;

  @Field(() => String, { description: "The wallet address, checksummed (EIP-55)." })
  address!: string;

  @Field(() => String, { description: "The chain, lower-case." })
  chain!: string;

  @Field(() => DateTime, { description: "After this time the challenge can no longer be verified; ask for a new one." })
  expiresAt!: string;
}

@ObjectType({ simpleResolvers: true, description: "Result of requestWalletChallenge." })
export class WalletChallengePayload {
  @Field(() => WalletChallenge, { nullable: true, description: "The challenge to sign." })
  challenge?: WalletChallenge | null;

  @Field(() => [UserError], { description: "Expected failures; when not empty, the mutation changed nothing." })
  userErrors!: UserError[];
}
