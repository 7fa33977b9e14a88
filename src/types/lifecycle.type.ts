// Lifecycle and onboarding: inputs and payloads.
import { Field, ID, InputType, ObjectType } from "type-graphql";
import { UserError } from "./common.types";
import { Customer } from "./customer.type";
import { DataCenter, OnboardStatus } from "./enums";

@InputType({ description: "Deactivate a customer, with the reason." })
export class DeactivateCustomerInput {
  @Field(() => ID, { description: "The customer." })
  id!: string;
  @Field(() => String, { description: "Why (1-500 characters); shown as deactivationReason." })
  reason!: string;
}

@InputType({
  description:
    "Onboard a customer to a partner organization: name an existing customer with `customerId`, or describe a new one (firstName and registrationAccount at least).",
})
export class OnboardCustomerInput {
  @Field(() => ID, { nullable: true, description: "The partner organization; default: the caller's organization." })
  organizationId?: string | null;
  @Field(() => ID, { nullable: true, description: "An existing customer to onboard; the other fields are then ignored except tags and managementMode." })
  customerId?: string | null;
  @Field(() => String, { nullable: true, description: "First name of the new customer (or of the company's contact)." })
  firstName?: string | null;
  @Field(() => String, { nullable: true, description: "Last name." })
  lastName?: string | null;
  @Field(() => String, { nullable: true, description: "Company name: registers an ORGANIZATION customer with this legal name." })
  organizationName?: string | null;
  @Field(() => String, { nullable: true, description: "Login email of the new customer; unique across customers." })
  registrationAccount?: string | null;
  @Field(() => String, { nullable: true, description: "Country: ISO alpha-2, alpha-3 or numeric code (company country, or a person's nationality)." })
  countryCode?: string | null;
  @Field(() => String, { nullable: true, description: "Phone number, international form." })
  telephoneNumber?: string | null;
  @Field(() => DataCenter, { nullable: true, description: "Region where the customer's data is kept." })
  dataCenter?: DataCenter | null;
  @Field(() => String, { nullable: true, description: "Password (write-only, stored hashed)." })
  password?: string | null;
  @Field(() => [String], { nullable: true, description: "Tags for the customer and its membership." })
  tags?: string[] | null;
  @Field(() => Boolean, { nullable: true, defaultValue: false, description: "Whether the partner manages the customer on its behalf." })
  managementMode?: boolean | null;
}

@ObjectType({ simpleResolvers: true, description: "Result of onboardCustomer: always a status; the customer when SUCCESSFUL or ALREADY_MANAGED_BY_PARTNER." })
export class OnboardCustomerPayload {
  @Field(() => OnboardStatus, { description: "What happened." })
  status!: OnboardStatus;
  @Field(() => Customer, { nullable: true, description: "The onboarded customer." })
  customer?: Customer | null;
  @Field(() => [UserError], { description: "Why it did not succeed; empty when SUCCESSFUL." })
  userErrors!: UserError[];
}

@ObjectType({ simpleResolvers: true, description: "Result of eraseCustomer." })
export class EraseCustomerPayload {
  @Field(() => ID, { nullable: true, description: "Id of the customer whose personal data is gone; its tombstone keeps this id." })
  erasedCustomerId?: string | null;
  @Field(() => [UserError], { description: "Expected failures; when not empty, nothing was erased." })
  userErrors!: UserError[];
}
