// Input types. Emails, phones, countries and dates are plain strings so that a bad value comes
// back as a userErrors entry with its field path, not as a request-level error.
import { Field, Float, ID, InputType, Int } from "type-graphql";
import { CountryCode, DateTime } from "./scalars";
import {
  CustomerOrderField,
  CustomerStatus,
  CustomerType,
  DataCenter,
  DocumentPurpose,
  DocumentType,
  Gender,
  NotificationChannel,
  NotificationType,
  OrderDirection,
  PhoneType,
  RegistrationField,
  RiskLevel,
  ValueType,
  VerificationStatus,
} from "./enums";

@InputType({ description: "One part of a person's name." })
export class PersonNameInput {
  @Field(() => String, { description: "The name as written (1-100 characters)." })
  name!: string;
  @Field(() => Int, { nullable: true, description: "Position of this part when names are written in a non-default order." })
  order?: number | null;
  @Field(() => String, { nullable: true, description: "Abbreviation, e.g. an initial." })
  abbreviation?: string | null;
  @Field(() => String, { nullable: true, description: "Language of the name (BCP 47 tag)." })
  language?: string | null;
  @Field(() => String, { nullable: true, description: "The name in its native script." })
  native?: string | null;
  @Field(() => String, { nullable: true, description: "Prefix, e.g. \"Dr.\"." })
  prefix?: string | null;
  @Field(() => String, { nullable: true, description: "Suffix, e.g. \"Jr.\"." })
  suffix?: string | null;
}

@InputType({ description: "A telephone number." })
export class TelephoneNumberInput {
  @Field(() => PhoneType, { description: "Kind of line." })
  phoneType!: PhoneType;
  @Field(() => String, { description: "The number; normalised to E.164. National numbers need `country`." })
  number!: string;
  @Field(() => String, { nullable: true, description: "Country of the number: ISO alpha-2, alpha-3 or numeric code." })
  country?: string | null;
  @Field(() => String, { nullable: true, description: "Network operator." })
  operator?: string | null;
  @Field(() => String, { nullable: true, description: "Message encoding the line supports." })
  encoding?: string | null;
  @Field(() => String, { nullable: true, description: "What the number is for." })
  purpose?: string | null;
}

@InputType({ description: "A security question and its answer. The answer is stored hashed and never returned." })
export class SecretQuestionInput {
  @Field(() => String, { description: "The question." })
  question!: string;
  @Field(() => String, { description: "The answer (write-only)." })
  answer!: string;
}

@InputType({ description: "Profile of a person. On update, fields left out stay as they are; lists given replace the list." })
export class PersonInput {
  @Field(() => PersonNameInput, { description: "First (given) name." })
  firstName!: PersonNameInput;
  @Field(() => PersonNameInput, { nullable: true, description: "Middle name." })
  middleName?: PersonNameInput | null;
  @Field(() => PersonNameInput, { nullable: true, description: "Last (family) name." })
  lastName?: PersonNameInput | null;
  @Field(() => Gender, { nullable: true, description: "Gender." })
  gender?: Gender | null;
  @Field(() => String, { nullable: true, description: "Date of birth, YYYY-MM-DD, in the past." })
  dateOfBirth?: string | null;
  @Field(() => String, { nullable: true, description: "Place of birth." })
  placeOfBirth?: string | null;
  @Field(() => String, { nullable: true, description: "Nationality: ISO alpha-2, alpha-3 or numeric country code." })
  nationality?: string | null;
  @Field(() => String, { nullable: true, description: "The person's own email." })
  email?: string | null;
  @Field(() => [TelephoneNumberInput], { nullable: true, description: "Telephone numbers; replaces the list." })
  telephoneNumbers?: TelephoneNumberInput[] | null;
  @Field(() => String, { nullable: true, description: "Password (8-200 characters; write-only, stored hashed)." })
  password?: string | null;
  @Field(() => String, { nullable: true, description: "PIN code (4-12 digits; write-only, stored hashed)." })
  pinCode?: string | null;
  @Field(() => [SecretQuestionInput], { nullable: true, description: "Security questions; replaces the list." })
  secretQuestions?: SecretQuestionInput[] | null;
}

@InputType({ description: "Profile of a company. On update, fields left out stay as they are." })
export class CompanyInput {
  @Field(() => String, { description: "Registered legal name." })
  legalName!: string;
  @Field(() => String, { nullable: true, description: "Short or trading name." })
  shortName?: string | null;
  @Field(() => String, { nullable: true, description: "Company registration number." })
  registrationNumber?: string | null;
  @Field(() => String, { nullable: true, description: "Country of registration: ISO alpha-2, alpha-3 or numeric code." })
  countryCode?: string | null;
}

@InputType({ description: "A point on Earth." })
export class GeoPositionInput {
  @Field(() => Float, { description: "Latitude, -90 to 90." })
  latitude!: number;
  @Field(() => Float, { description: "Longitude, -180 to 180." })
  longitude!: number;
  @Field(() => Float, { nullable: true, description: "Altitude in metres." })
  altitude?: number | null;
}

@InputType({ description: "A three-word address." })
export class AlternativeAddressInput {
  @Field(() => String, { description: "First word." })
  word1!: string;
  @Field(() => String, { description: "Second word." })
  word2!: string;
  @Field(() => String, { description: "Third word." })
  word3!: string;
}

@InputType({ description: "Another address this one relates to." })
export class RelatedAddressInput {
  @Field(() => String, { description: "How the addresses relate." })
  relationType!: string;
  @Field(() => String, { description: "The related address, as text." })
  address!: string;
}

@InputType({ description: "A typed name/value pair." })
export class NamedValueInput {
  @Field(() => String, { description: "Name of the value." })
  name!: string;
  @Field(() => ValueType, { description: "Type the value must parse as." })
  type!: ValueType;
  @Field(() => String, { description: "The value, as a string." })
  value!: string;
}

@InputType({ description: "A postal address." })
export class AddressInput {
  @Field(() => String, { description: "Country: ISO alpha-2 (\"AE\"), alpha-3 (\"ARE\") or numeric (\"784\")." })
  country!: string;
  @Field(() => String, { nullable: true, description: "State, province or region." })
  area?: string | null;
  @Field(() => String, { nullable: true, description: "Postal code." })
  zipCode?: string | null;
  @Field(() => String, { nullable: true, description: "City or town." })
  city?: string | null;
  @Field(() => String, { nullable: true, description: "Street name." })
  street?: string | null;
  @Field(() => [String], { nullable: true, description: "House numbers." })
  streetNumber?: string[] | null;
  @Field(() => String, { nullable: true, description: "Building." })
  building?: string | null;
  @Field(() => String, { nullable: true, description: "Apartment." })
  apartment?: string | null;
  @Field(() => String, { nullable: true, description: "Entrance." })
  entrance?: string | null;
  @Field(() => String, { nullable: true, description: "Floor." })
  floor?: string | null;
  @Field(() => String, { nullable: true, description: "Door number." })
  doorNumber?: string | null;
  @Field(() => GeoPositionInput, { nullable: true, description: "Geographic position." })
  geoPosition?: GeoPositionInput | null;
  @Field(() => AlternativeAddressInput, { nullable: true, description: "Three-word address." })
  alternative?: AlternativeAddressInput | null;
  @Field(() => [RelatedAddressInput], { nullable: true, description: "Related addresses." })
  relatedTo?: RelatedAddressInput[] | null;
  @Field(() => [NamedValueInput], { nullable: true, description: "Further typed data." })
  additionalData?: NamedValueInput[] | null;
}

@InputType({ description: "An address of a customer." })
export class CustomerAddressInput {
  @Field(() => String, { description: "What the address is for, e.g. \"home\"." })
  purpose!: string;
  @Field(() => Boolean, { nullable: true, description: "Make this the primary address (the previous primary one stops being primary)." })
  isPrimary?: boolean | null;
  @Field(() => AddressInput, { description: "The address." })
  address!: AddressInput;
}

@InputType({ description: "A document to attach to a customer." })
export class DocumentInput {
  @Field(() => DocumentPurpose, { description: "What the document is for." })
  purpose!: DocumentPurpose;
  @Field(() => DocumentType, { description: "Kind of document." })
  documentType!: DocumentType;
  @Field(() => String, { description: "File name or title." })
  name!: string;
  @Field(() => String, { nullable: true, description: "http(s) URL where the file is stored." })
  location?: string | null;
  @Field(() => [NamedValueInput], { nullable: true, description: "Typed metadata." })
  metadata?: NamedValueInput[] | null;
  @Field(() => String, { nullable: true, description: "Expiry date, YYYY-MM-DD." })
  expiresAt?: string | null;
}

@InputType({ description: "Opt a customer in to or out of one kind of notification on one channel." })
export class NotificationPreferenceInput {
  @Field(() => NotificationType, { description: "Kind of notification." })
  notificationType!: NotificationType;
  @Field(() => NotificationChannel, { description: "Delivery channel." })
  channel!: NotificationChannel;
  @Field(() => Boolean, { description: "Whether the customer receives it." })
  isEnabled!: boolean;
}

@InputType({ description: "A new customer, with everything attached to it." })
export class CreateCustomerInput {
  @Field(() => CustomerType, { description: "Person or company." })
  type!: CustomerType;
  @Field(() => ID, { nullable: true, description: "Organization the customer belongs to; defaults to the caller's organization." })
  organizationId?: string | null;
  @Field(() => String, { nullable: true, description: "Primary email address." })
  email?: string | null;
  @Field(() => String, { nullable: true, description: "Primary phone number, international form (\"+44 20 7946 0958\")." })
  phone?: string | null;
  @Field(() => String, { nullable: true, description: "Nickname or short name." })
  nickname?: string | null;
  @Field(() => String, { nullable: true, description: "Free-form category." })
  categorization?: string | null;
  @Field(() => [String], { nullable: true, description: "Tags (each 1-50 characters, at most 50)." })
  tags?: string[] | null;
  @Field(() => String, { nullable: true, description: "The caller's own id for this customer; unique per organization." })
  externalReference?: string | null;
  @Field(() => RiskLevel, { nullable: true, description: "Compliance risk rating." })
  riskLevel?: RiskLevel | null;
  @Field(() => String, { nullable: true, description: "Id of the account manager in the caller's system." })
  manager?: string | null;
  @Field(() => PersonInput, { nullable: true, description: "Person profile; required when type is PERSON." })
  person?: PersonInput | null;
  @Field(() => CompanyInput, { nullable: true, description: "Company profile; required when type is ORGANIZATION." })
  company?: CompanyInput | null;
  @Field(() => [CustomerAddressInput], { nullable: true, description: "Addresses; at most one primary." })
  addresses?: CustomerAddressInput[] | null;
  @Field(() => [DocumentInput], { nullable: true, description: "Documents." })
  documents?: DocumentInput[] | null;
  @Field(() => [NotificationPreferenceInput], { nullable: true, description: "Notification preferences." })
  notificationPreferences?: NotificationPreferenceInput[] | null;
}

@InputType({ description: "A partial update. Fields left out are unchanged; null clears a nullable field; lists given replace the list." })
export class UpdateCustomerInput {
  @Field(() => ID, { description: "The customer to update." })
  id!: string;
  @Field(() => Int, { nullable: true, description: "If given, the update is refused with VERSION_CONFLICT unless the customer is at this version." })
  expectedVersion?: number | null;
  @Field(() => String, { nullable: true, description: "Primary email address." })
  email?: string | null;
  @Field(() => String, { nullable: true, description: "Primary phone number." })
  phone?: string | null;
  @Field(() => String, { nullable: true, description: "Nickname." })
  nickname?: string | null;
  @Field(() => String, { nullable: true, description: "Free-form category." })
  categorization?: string | null;
  @Field(() => [String], { nullable: true, description: "Tags; replaces the list." })
  tags?: string[] | null;
  @Field(() => String, { nullable: true, description: "The caller's own id; unique per organization." })
  externalReference?: string | null;
  @Field(() => RiskLevel, { nullable: true, description: "Compliance risk rating." })
  riskLevel?: RiskLevel | null;
  @Field(() => String, { nullable: true, description: "Account manager id." })
  manager?: string | null;
  @Field(() => PersonInput, { nullable: true, description: "Person profile changes." })
  person?: PersonInput | null;
  @Field(() => CompanyInput, { nullable: true, description: "Company profile changes." })
  company?: CompanyInput | null;
}

@InputType({ description: "Names one object by id." })
export class IdInput {
  @Field(() => ID, { description: "The object's id." })
  id!: string;
}

@InputType({ description: "Names one customer by id." })
export class CustomerIdInput {
  @Field(() => ID, { description: "The customer's id." })
  id!: string;
}

@InputType({ description: "Add an address to a customer." })
export class AddCustomerAddressInput {
  @Field(() => ID, { description: "The customer." })
  customerId!: string;
  @Field(() => CustomerAddressInput, { description: "The address to add." })
  address!: CustomerAddressInput;
}

@InputType({ description: "Change an address. Fields left out are unchanged; `address`, if given, replaces the whole address." })
export class UpdateCustomerAddressInput {
  @Field(() => ID, { description: "The address (adr_...)." })
  id!: string;
  @Field(() => String, { nullable: true, description: "New purpose." })
  purpose?: string | null;
  @Field(() => Boolean, { nullable: true, description: "Make primary (true) or not (false)." })
  isPrimary?: boolean | null;
  @Field(() => AddressInput, { nullable: true, description: "The new address." })
  address?: AddressInput | null;
}

@InputType({ description: "Add a document to a customer." })
export class AddDocumentInput {
  @Field(() => ID, { description: "The customer." })
  customerId!: string;
  @Field(() => DocumentInput, { description: "The document." })
  document!: DocumentInput;
}

@InputType({ description: "Set some of a customer's notification preferences; others stay as they are." })
export class SetNotificationPreferencesInput {
  @Field(() => ID, { description: "The customer." })
  customerId!: string;
  @Field(() => [NotificationPreferenceInput], { description: "Preferences to set." })
  preferences!: NotificationPreferenceInput[];
}

@InputType({ description: "Fields an organization requires of new customers." })
export class RegistrationPolicyInput {
  @Field(() => [RegistrationField], { description: "Required fields; an empty list requires nothing beyond the basics." })
  requiredFields!: RegistrationField[];
}

@InputType({ description: "A new organization." })
export class CreateOrganizationInput {
  @Field(() => String, { description: "Display name." })
  name!: string;
  @Field(() => String, { nullable: true, description: "Registered legal name." })
  legalName?: string | null;
  @Field(() => String, { nullable: true, description: "Country: ISO alpha-2, alpha-3 or numeric code." })
  countryCode?: string | null;
  @Field(() => DataCenter, { nullable: true, description: "Region where its customers' data is kept." })
  dataCenter?: DataCenter | null;
  @Field(() => ID, { nullable: true, description: "The partner organization that onboarded it." })
  parentId?: string | null;
  @Field(() => RegistrationPolicyInput, { nullable: true, description: "What new customers must provide; default: nothing beyond the basics." })
  registrationPolicy?: RegistrationPolicyInput | null;
}

@InputType({ description: "Change an organization. Fields left out are unchanged; null clears." })
export class UpdateOrganizationInput {
  @Field(() => ID, { description: "The organization." })
  id!: string;
  @Field(() => String, { nullable: true, description: "Display name." })
  name?: string | null;
  @Field(() => String, { nullable: true, description: "Registered legal name." })
  legalName?: string | null;
  @Field(() => String, { nullable: true, description: "Country: ISO alpha-2, alpha-3 or numeric code." })
  countryCode?: string | null;
  @Field(() => DataCenter, { nullable: true, description: "Data center region." })
  dataCenter?: DataCenter | null;
  @Field(() => ID, { nullable: true, description: "Parent partner organization." })
  parentId?: string | null;
  @Field(() => RegistrationPolicyInput, { nullable: true, description: "Replaces the registration policy." })
  registrationPolicy?: RegistrationPolicyInput | null;
}

@InputType({ description: "Which customers to list. All given conditions must hold; list conditions match any of their values." })
export class CustomerFilter {
  @Field(() => [ID], { nullable: true, description: "Only these customers." })
  ids?: string[] | null;
  @Field(() => String, { nullable: true, description: "Email address, exact and case-insensitive." })
  email?: string | null;
  @Field(() => String, { nullable: true, description: "Part of the display name, case-insensitive." })
  name?: string | null;
  @Field(() => String, { nullable: true, description: "Part of the nickname, case-insensitive." })
  nickname?: string | null;
  @Field(() => [CustomerType], { nullable: true, description: "Customer types." })
  types?: CustomerType[] | null;
  @Field(() => [CustomerStatus], { nullable: true, description: "Statuses. ARCHIVED customers need `includeArchived` unless ARCHIVED is listed here." })
  statuses?: CustomerStatus[] | null;
  @Field(() => [String], { nullable: true, description: "Customers with at least one of these tags." })
  tags?: string[] | null;
  @Field(() => [CountryCode], { nullable: true, description: "Customers with an address in, or a company registered in, one of these countries." })
  countryCodes?: string[] | null;
  @Field(() => String, { nullable: true, description: "Part of an address's city, case-insensitive." })
  city?: string | null;
  @Field(() => [String], { nullable: true, description: "Account manager ids." })
  managers?: string[] | null;
  @Field(() => [RiskLevel], { nullable: true, description: "Risk levels." })
  riskLevels?: RiskLevel[] | null;
  @Field(() => [VerificationStatus], { nullable: true, description: "Verification statuses." })
  verificationStatuses?: VerificationStatus[] | null;
  @Field(() => String, { nullable: true, description: "Part of a company's legal or short name, case-insensitive." })
  companyName?: string | null;
  @Field(() => ID, { nullable: true, description: "Customers onboarded to this organization." })
  organizationId?: string | null;
  @Field(() => DateTime, { nullable: true, description: "Created at or after this time." })
  createdAfter?: Date | null;
  @Field(() => DateTime, { nullable: true, description: "Created before this time." })
  createdBefore?: Date | null;
  @Field(() => DateTime, { nullable: true, description: "Changed at or after this time." })
  updatedAfter?: Date | null;
  @Field(() => DateTime, { nullable: true, description: "Changed before this time." })
  updatedBefore?: Date | null;
  @Field(() => Boolean, { nullable: true, defaultValue: false, description: "Include archived customers." })
  includeArchived?: boolean | null;
}

@InputType({ description: "Sort order of customers. Ties are broken by id." })
export class CustomerOrder {
  @Field(() => CustomerOrderField, { description: "Field to sort by." })
  field!: CustomerOrderField;
  @Field(() => OrderDirection, { description: "Direction." })
  direction!: OrderDirection;
}
