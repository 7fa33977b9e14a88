import { Field, ObjectType } from "type-graphql";
import { CountryCode, DateTime } from "./scalars";
import { connectionTypes, Node } from "./common.types";
import { DataCenter, RegistrationField } from "./enums";

@ObjectType({ simpleResolvers: true, description: "What an organization requires of the customers registered to it (B2Core's registration wizard)." })
export class RegistrationPolicy {
  @Field(() => [RegistrationField], { description: "Fields a new customer must have; createCustomer refuses with REQUIRED_BY_POLICY, onboardCustomer with REGISTRATION_FAILED." })
  requiredFields!: RegistrationField[];
}

@ObjectType({
  implements: Node,
  simpleResolvers: true,
  description: "A tenant of the API, or a partner organization that onboards and manages customers.",
})
export class Organization extends Node {
  @Field(() => String, { description: "Display name." })
  name!: string;

  @Field(() => String, { nullable: true, description: "Registered legal name." })
  legalName!: string | null;

  @Field(() => CountryCode, { nullable: true, description: "Country of registration (ISO 3166-1 alpha-2)." })
  countryCode!: string | null;

  @Field(() => DataCenter, { nullable: true, description: "Region where this organization's customer data is kept." })
  dataCenter!: DataCenter | null;

  @Field(() => RegistrationPolicy, { description: "What new customers of this organization must provide." })
  registrationPolicy!: RegistrationPolicy;

  @Field(() => DateTime, { description: "When the organization was created." })
  createdAt!: string;

  @Field(() => DateTime, { description: "When the organization last changed." })
  updatedAt!: string;

  // Resolved by OrganizationResolver; kept here for the row shape.
  parentId!: string | null;
}

export const { Connection: OrganizationConnection, Edge: OrganizationEdge } = connectionTypes(
  Organization,
  "Organization",
  "organization",
);
