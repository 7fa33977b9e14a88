import { Field, ObjectType } from "type-graphql";
import { DateTime } from "./scalars";

@ObjectType({ simpleResolvers: true, description: "A customer's onboarding to an organization." })
export class Membership {
  @Field(() => Boolean, { description: "Whether the organization manages the customer on its behalf (AvePoint management mode)." })
  managementMode!: boolean;

  @Field(() => [String], { description: "Tags the organization gave the customer when onboarding." })
  tags!: string[];

  @Field(() => DateTime, { description: "When the customer was onboarded." })
  onboardedAt!: string;

  @Field(() => Boolean, { description: "Whether the membership is active." })
  active!: boolean;

  // Resolved to `organization` by MembershipResolver.
  organizationId!: string;
}
