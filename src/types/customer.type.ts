import { Field, Int, ObjectType } from "type-graphql";
import { GraphQLEmailAddress, GraphQLPhoneNumber, GraphQLURL } from "graphql-scalars";
import { CountryCode, DateTime, LocalDate } from "./scalars";
import { connectionTypes, Node } from "./common.types";
import {
  Channel,
  CustomerStatus,
  CustomerType,
  DataCenter,
  Gender,
  PhoneType,
  RiskLevel,
  TwoFactorType,
  VerificationStatus,
} from "./enums";

@ObjectType({ simpleResolvers: true, description: "One part of a person's name, with its script and form details." })
export class PersonName {
  @Field(() => String, { description: "The name as written." })
  name!: string;

  @Field(() => Int, { nullable: true, description: "Position of this part when names are written in a non-default order." })
  order!: number | null;

  @Field(() => String, { nullable: true, description: "Abbreviation, e.g. an initial." })
  abbreviation!: string | null;

  @Field(() => String, { nullable: true, description: "Language of the name (BCP 47 tag)." })
  language!: string | null;

  @Field(() => String, { nullable: true, description: "The name in its native script." })
  native!: string | null;

  @Field(() => String, { nullable: true, description: "Prefix, e.g. \"Dr.\"." })
  prefix!: string | null;

  @Field(() => String, { nullable: true, description: "Suffix, e.g. \"Jr.\"." })
  suffix!: string | null;
}

@ObjectType({ simpleResolvers: true, description: "A telephone number of a person." })
export class TelephoneNumber {
  @Field(() => PhoneType, { description: "Kind of line." })
  phoneType!: PhoneType;

  @Field(() => GraphQLPhoneNumber, { description: "The number in E.164 form." })
  number!: string;

  @Field(() => CountryCode, { nullable: true, description: "Country of the number." })
  country!: string | null;

  @Field(() => String, { nullable: true, description: "Network operator." })
  operator!: string | null;

  @Field(() => String, { nullable: true, description: "Message encoding the line supports, e.g. \"GSM-7\"." })
  encoding!: string | null;

  @Field(() => String, { nullable: true, description: "What the number is for, e.g. \"work\"." })
  purpose!: string | null;
}

@ObjectType({ simpleResolvers: true, description: "A security question. The answer is write-only and never returned." })
export class SecretQuestion {
  @Field(() => String, { description: "The question." })
  question!: string;
}

@ObjectType({ simpleResolvers: true, description: "Where two-factor codes go, masked." })
export class TwoFactorTarget {
  @Field(() => TwoFactorType, { description: "Kind of target." })
  targetType!: TwoFactorType;

  @Field(() => String, { description: "The target with most characters hidden, e.g. \"+44•••••1234\"." })
  maskedTarget!: string;
}

@ObjectType({ simpleResolvers: true, description: "Profile of a natural person. Passwords, PIN codes and answers are never returned." })
export class Person {
  @Field(() => PersonName, { description: "First (given) name." })
  firstName!: PersonName;

  @Field(() => PersonName, { nullable: true, description: "Middle name." })
  middleName!: PersonName | null;

  @Field(() => PersonName, { nullable: true, description: "Last (family) name." })
  lastName!: PersonName | null;

  @Field(() => String, { description: "First, middle and last names joined." })
  fullName!: string;

  @Field(() => Gender, { nullable: true, description: "Gender." })
  gender!: Gender | null;

  @Field(() => LocalDate, { nullable: true, description: "Date of birth." })
  dateOfBirth!: string | null;

  @Field(() => String, { nullable: true, description: "Place of birth." })
  placeOfBirth!: string | null;

  @Field(() => CountryCode, { nullable: true, description: "Nationality (ISO 3166-1 alpha-2)." })
  nationality!: string | null;

  @Field(() => GraphQLEmailAddress, { nullable: true, description: "The person's own email, if it differs from the customer's." })
  email!: string | null;

  @Field(() => [TelephoneNumber], { description: "Telephone numbers, in the order given." })
  telephoneNumbers!: TelephoneNumber[];

  @Field(() => [SecretQuestion], { description: "Security questions; answers are write-only." })
  secretQuestions!: SecretQuestion[];

  @Field(() => Boolean, { description: "Whether a password is set." })
  hasPassword!: boolean;

  @Field(() => Boolean, { description: "Whether a PIN code is set." })
  hasPinCode!: boolean;

  @Field(() => TwoFactorTarget, { nullable: true, description: "Where two-factor codes are sent, masked." })
  twoFactor!: TwoFactorTarget | null;
}

@ObjectType({ simpleResolvers: true, description: "Profile of a company." })
export class Company {
  @Field(() => String, { description: "Registered legal name." })
  legalName!: string;

  @Field(() => String, { nullable: true, description: "Short or trading name." })
  shortName!: string | null;

  @Field(() => String, { nullable: true, description: "Company registration number." })
  registrationNumber!: string | null;

  @Field(() => CountryCode, { nullable: true, description: "Country of registration." })
  countryCode!: string | null;
}

@ObjectType({ simpleResolvers: true, description: "State of a customer's identity verification." })
export class Verification {
  @Field(() => VerificationStatus, { description: "Verification status." })
  status!: VerificationStatus;

  @Field(() => Int, { description: "Verification level reached: 0 none, 1 identity, 2 identity and address." })
  level!: number;

  @Field(() => GraphQLURL, { nullable: true, description: "Where the customer completes verification." })
  url!: string | null;

  @Field(() => DateTime, { nullable: true, description: "When the status last changed." })
  updatedAt!: string | null;
}

@ObjectType({ simpleResolvers: true, description: "A blockchain wallet linked to a customer." })
export class Wallet {
  @Field(() => String, { description: "Wallet address." })
  address!: string;

  @Field(() => String, { description: "Chain, e.g. \"ethereum\"." })
  chain!: string;

  @Field(() => DateTime, { nullable: true, description: "When ownership was proven by a signed challenge." })
  verifiedAt!: string | null;

  @Field(() => Boolean, { description: "Whether the link is active." })
  active!: boolean;
}

@ObjectType({
  implements: Node,
  simpleResolvers: true,
  description: "A customer: a person or a company, with profile, addresses, documents, preferences and history.",
})
export class Customer extends Node {
  @Field(() => CustomerType, { description: "Person or company." })
  type!: CustomerType;

  @Field(() => CustomerStatus, { description: "Lifecycle status." })
  status!: CustomerStatus;

  @Field(() => String, { description: "Person's full name or company's legal name." })
  displayName!: string;

  @Field(() => String, { nullable: true, description: "Nickname or short name." })
  nickname!: string | null;

  @Field(() => GraphQLEmailAddress, { nullable: true, description: "Primary email address." })
  email!: string | null;

  @Field(() => GraphQLPhoneNumber, { nullable: true, description: "Primary phone number (E.164)." })
  phone!: string | null;

  @Field(() => String, { nullable: true, description: "Free-form category, e.g. \"retail\" or \"vip\"." })
  categorization!: string | null;

  @Field(() => [String], { description: "Tags, for segmentation and access restriction." })
  tags!: string[];

  @Field(() => String, { nullable: true, description: "The caller's own id for this customer, unique per organization." })
  externalReference!: string | null;

  @Field(() => RiskLevel, { nullable: true, description: "Compliance risk rating." })
  riskLevel!: RiskLevel | null;

  @Field(() => String, { nullable: true, description: "Id of the account manager in the caller's system." })
  manager!: string | null;

  @Field(() => DataCenter, { nullable: true, description: "Region where the customer's data is kept, when chosen at onboarding." })
  dataCenter!: DataCenter | null;

  @Field(() => Int, { description: "Bumped on every change; pass as `expectedVersion` for optimistic concurrency." })
  version!: number;

  @Field(() => DateTime, { description: "When the customer was created." })
  createdAt!: string;

  @Field(() => String, { description: "Who created the customer." })
  createdBy!: string;

  @Field(() => Channel, { description: "Through which channel the customer was created." })
  createdVia!: Channel;

  @Field(() => DateTime, { description: "When the customer last changed." })
  updatedAt!: string;

  @Field(() => String, { description: "Who last changed the customer." })
  updatedBy!: string;

  @Field(() => Channel, { description: "Through which channel the customer last changed." })
  updatedVia!: Channel;

  @Field(() => DateTime, { nullable: true, description: "When the customer was archived." })
  archivedAt!: string | null;

  @Field(() => String, { nullable: true, description: "Who archived the customer." })
  archivedBy!: string | null;

  @Field(() => Channel, { nullable: true, description: "Through which channel the customer was archived." })
  archivedVia!: Channel | null;

  @Field(() => DateTime, { nullable: true, description: "When the customer was deactivated." })
  deactivatedAt!: string | null;

  @Field(() => String, { nullable: true, description: "Why the customer was deactivated." })
  deactivationReason!: string | null;
}

export const { Connection: CustomerConnection, Edge: CustomerEdge } = connectionTypes(Customer, "Customer", "customer");
