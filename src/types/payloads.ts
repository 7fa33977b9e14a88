// Mutation payloads: the changed object and the expected failures (userErrors).
import { Field, ObjectType } from "type-graphql";
import { UserError } from "./common.types";
import { Customer, Verification } from "./customer.type";
import { CustomerAddress } from "./address.type";
import { Document } from "./document.type";
import { Organization } from "./organization.type";

const USER_ERRORS = "Expected failures; when not empty, the mutation changed nothing.";

@ObjectType({ simpleResolvers: true, description: "Result of createCustomer." })
export class CreateCustomerPayload {
  @Field(() => Customer, { nullable: true, description: "The new customer." })
  customer?: Customer | null;
  @Field(() => Verification, { nullable: true, description: "The customer's verification, with the URL where it is completed." })
  verification?: Verification | null;
  @Field(() => [UserError], { description: USER_ERRORS })
  userErrors!: UserError[];
}

@ObjectType({ simpleResolvers: true, description: "Result of updateCustomer." })
export class UpdateCustomerPayload {
  @Field(() => Customer, { nullable: true, description: "The customer after the update." })
  customer?: Customer | null;
  @Field(() => [UserError], { description: USER_ERRORS })
  userErrors!: UserError[];
}

@ObjectType({ simpleResolvers: true, description: "Result of a mutation that changes a customer." })
export class CustomerPayload {
  @Field(() => Customer, { nullable: true, description: "The customer after the change." })
  customer?: Customer | null;
  @Field(() => [UserError], { description: USER_ERRORS })
  userErrors!: UserError[];
}

@ObjectType({ simpleResolvers: true, description: "Result of adding, changing or removing a customer address." })
export class CustomerAddressPayload {
  @Field(() => CustomerAddress, { nullable: true, description: "The address as it is now (as it was, for removeCustomerAddress)." })
  customerAddress?: CustomerAddress | null;
  @Field(() => Customer, { nullable: true, description: "The customer after the change." })
  customer?: Customer | null;
  @Field(() => [UserError], { description: USER_ERRORS })
  userErrors!: UserError[];
}

@ObjectType({ simpleResolvers: true, description: "Result of adding, reviewing or removing a document." })
export class DocumentPayload {
  @Field(() => Document, { nullable: true, description: "The document as it is now (as it was, for removeDocument)." })
  document?: Document | null;
  @Field(() => Customer, { nullable: true, description: "The customer after the change." })
  customer?: Customer | null;
  @Field(() => [UserError], { description: USER_ERRORS })
  userErrors!: UserError[];
}

@ObjectType({ simpleResolvers: true, description: "Result of createOrganization or updateOrganization." })
export class OrganizationPayload {
  @Field(() => Organization, { nullable: true, description: "The organization after the change." })
  organization?: Organization | null;
  @Field(() => [UserError], { description: USER_ERRORS })
  userErrors!: UserError[];
}

@ObjectType({ simpleResolvers: true, description: "Who is calling." })
export class Viewer {
  @Field(() => Organization, { nullable: true, description: "The caller's own organization: the default for new customers." })
  organization?: Organization | null;
  @Field(() => [String], { description: "What the caller may do, e.g. customers:read." })
  scopes!: string[];
  @Field(() => String, { description: "Name recorded in audit fields and events for the caller's changes." })
  actor!: string;
}

