// Two-factor: where one-time codes go, and the challenges that send and check them. Codes and
// unmasked targets are write-only: no type here can carry them back.
import { Field, ID, InputType, Int, ObjectType } from "type-graphql";
import { DateTime } from "./scalars";
import { UserError } from "./common.types";
import { TwoFactorTarget } from "./customer.type";
import { TwoFactorType } from "./enums";

@InputType({ description: "Set where a person's two-factor codes are sent." })
export class SetTwoFactorTargetInput {
  @Field(() => ID, { description: "The customer; it must have a person profile." })
  customerId!: string;

  @Field(() => TwoFactorType, { description: "SMS or EMAIL; TOTP is not available yet." })
  targetType!: TwoFactorType;

  @Field(() => String, { description: "Phone number in international form (+country code) for SMS, email address for EMAIL. Never returned: only its masked form is." })
  targetValue!: string;
}

@InputType({ description: "A code the customer received, to check against a challenge." })
export class VerifyTwoFactorInput {
  @Field(() => ID, { description: "The challenge (tfc_...)." })
  challengeId!: string;

  @Field(() => String, { description: "The 6-digit code the customer received." })
  code!: string;
}

@ObjectType({ simpleResolvers: true, description: "A one-time code sent to the customer's two-factor target." })
export class TwoFactorChallenge {
  @Field(() => ID, { description: "Id of the challenge (tfc_...), to pass to verifyTwoFactorChallenge." })
  id!: string;

  @Field(() => DateTime, { description: "After this time the code no longer verifies; start a new challenge." })
  expiresAt!: string;

  @Field(() => Int, { description: "Wrong codes accepted before the challenge locks." })
  attemptsLeft!: number;

  @Field(() => TwoFactorTarget, { description: "Where the code was sent, masked." })
  sentTo!: TwoFactorTarget;
}

@ObjectType({ simpleResolvers: true, description: "Result of startTwoFactorChallenge." })
export class TwoFactorChallengePayload {
  @Field(() => TwoFactorChallenge, { nullable: true, description: "The challenge whose code was sent." })
  challenge?: TwoFactorChallenge | null;

  @Field(() => [UserError], { description: "Expected failures; when not empty, the mutation changed nothing." })
  userErrors!: UserError[];
}

@ObjectType({ simpleResolvers: true, description: "Result of verifyTwoFactorChallenge. A wrong code is not a userError: it uses up an attempt." })
export class TwoFactorVerificationPayload {
  @Field(() => Boolean, { description: "Whether the code matched; the challenge is then used up. False when there are userErrors." })
  codeMatch!: boolean;

  @Field(() => Int, { description: "Wrong codes still accepted before the challenge locks; 0 once locked, and when there are userErrors." })
  attemptsLeft!: number;

  @Field(() => [UserError], { description: "Expected failures (unknown, used, locked or expired challenge; malformed code); when not empty, nothing changed." })
  userErrors!: UserError[];
}
