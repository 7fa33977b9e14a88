// GraphQL enums. Every value carries a description: they are the explorer's docs.
import { registerEnumType } from "type-graphql";

type Described<T extends string> = Record<T, string>;

function enumOf<const T extends string>(
  name: string,
  description: string,
  values: Described<T>,
): { [K in T]: K } {
  const object = Object.fromEntries(Object.keys(values).map((k) => [k, k])) as { [K in T]: K };
  registerEnumType(object, {
    name,
    description,
    valuesConfig: Object.fromEntries(
      Object.entries(values).map(([k, d]) => [k, { description: d as string }]),
    ) as never,
  });
  return object;
}

export const CustomerType = enumOf("CustomerType", "Whether a customer is a natural person or a company.", {
  PERSON: "A natural person; `person` holds the profile.",
  ORGANIZATION: "A company or other legal entity; `company` holds the profile.",
});
export type CustomerType = keyof typeof CustomerType;

export const CustomerStatus = enumOf("CustomerStatus", "Where a customer is in its lifecycle.", {
  NEW: "Created, not yet activated.",
  ACTIVE: "Active and in good standing.",
  DEACTIVATED: "Switched off with a reason; can be reactivated.",
  ARCHIVED: "Soft-deleted: hidden from lists unless `includeArchived`; can be restored.",
});
export type CustomerStatus = keyof typeof CustomerStatus;

export const RiskLevel = enumOf("RiskLevel", "Compliance risk rating of a customer.", {
  LOW: "Low risk.",
  MEDIUM: "Medium risk.",
  HIGH: "High risk: enhanced due diligence applies.",
});
export type RiskLevel = keyof typeof RiskLevel;

export const VerificationStatus = enumOf("VerificationStatus", "State of a customer's identity verification (KYC/KYB).", {
  UNVERIFIED: "No verification has been started.",
  PENDING: "Verification started; documents are awaited or under review.",
  VERIFIED: "Identity verified.",
  REJECTED: "Verification failed.",
});
export type VerificationStatus = keyof typeof VerificationStatus;

export const Channel = enumOf("Channel", "Through which channel a change was made.", {
  API: "Through this API.",
  DASHBOARD: "By an operator in a back-office dashboard.",
  IMPORT: "By a bulk import.",
  SYSTEM: "By the system itself (seeding, expiry sweeps, migrations).",
});
export type Channel = keyof typeof Channel;

export const Gender = enumOf("Gender", "A person's gender as they state it.", {
  MALE: "Male.",
  FEMALE: "Female.",
  OTHER: "Another gender.",
  UNDISCLOSED: "Prefers not to say.",
});
export type Gender = keyof typeof Gender;

export const PhoneType = enumOf("PhoneType", "Kind of telephone line.", {
  MOBILE: "Mobile phone.",
  FIXED: "Fixed line.",
  FAX: "Fax line.",
  VOIP: "Voice over IP.",
});
export type PhoneType = keyof typeof PhoneType;

export const TwoFactorType = enumOf("TwoFactorType", "Where two-factor codes are sent.", {
  SMS: "Text message to a phone number.",
  EMAIL: "Email to an address.",
  TOTP: "Time-based one-time password app.",
});
export type TwoFactorType = keyof typeof TwoFactorType;

export const ValueType = enumOf("ValueType", "Type of a named value's `value` string.", {
  STRING: "Free text.",
  NUMBER: "A decimal number.",
  BOOLEAN: "`true` or `false`.",
  DATE: "A calendar date, YYYY-MM-DD.",
});
export type ValueType = keyof typeof ValueType;

export const DocumentPurpose = enumOf("DocumentPurpose", "What a document is for.", {
  KYC: "Identity verification of a person.",
  KYB: "Verification of a business.",
  PROOF_OF_ADDRESS: "Proof of a residential or registered address.",
  OTHER: "Any other purpose.",
});
export type DocumentPurpose = keyof typeof DocumentPurpose;

export const DocumentType = enumOf("DocumentType", "Kind of document.", {
  PASSPORT: "Passport.",
  ID_FRONT: "Front of a national identity card.",
  ID_BACK: "Back of a national identity card.",
  DRIVING_LICENCE: "Driving licence.",
  RESIDENCE_PERMIT: "Residence permit.",
  UTILITY_BILL: "Utility bill.",
  BANK_STATEMENT: "Bank statement.",
  COMPANY_REGISTRATION: "Company registration extract.",
  SELFIE: "Photo of the person.",
  OTHER: "Any other document.",
});
export type DocumentType = keyof typeof DocumentType;

export const DocumentStatus = enumOf("DocumentStatus", "Review state of a document.", {
  PENDING: "Uploaded, not yet reviewed.",
  UNDER_VERIFICATION: "Being reviewed.",
  VERIFIED: "Accepted.",
  REJECTED: "Refused; see `verificationResponse`.",
  EXPIRED: "Past its `expiresAt` date.",
});
export type DocumentStatus = keyof typeof DocumentStatus;

export const NotificationType = enumOf("NotificationType", "Kind of message a customer can opt in to or out of.", {
  MARKETING: "Marketing and offers.",
  PRODUCT_UPDATES: "News about the product.",
  ACCOUNT_ALERTS: "Changes to the customer's account.",
  SECURITY_ALERTS: "Sign-ins, password changes and other security events.",
  NEWSLETTER: "Newsletter.",
});
export type NotificationType = keyof typeof NotificationType;

export const NotificationChannel = enumOf("NotificationChannel", "How a notification is delivered.", {
  EMAIL: "Email.",
  SMS: "Text message.",
  PUSH: "Push notification to an app.",
});
export type NotificationChannel = keyof typeof NotificationChannel;

export const CustomerEventType = enumOf("CustomerEventType", "What happened to a customer.", {
  CREATED: "The customer was created.",
  UPDATED: "Profile, addresses, documents or preferences changed.",
  ONBOARDED: "The customer was onboarded to an organization.",
  DEACTIVATED: "The customer was deactivated.",
  REACTIVATED: "The customer was reactivated.",
  ARCHIVED: "The customer was archived (soft delete).",
  RESTORED: "The customer was restored from the archive.",
  ERASED: "The customer's personal data was erased.",
  VERIFICATION_CHANGED: "Verification status or level changed.",
  DOCUMENT_ADDED: "A document was added.",
  DOCUMENT_REVIEWED: "A document was reviewed.",
  WALLET_VERIFIED: "A wallet's ownership was proven.",
});
export type CustomerEventType = keyof typeof CustomerEventType;

export const CustomerOrderField = enumOf("CustomerOrderField", "Field to sort customers by.", {
  CREATED_AT: "Creation time.",
  UPDATED_AT: "Time of the last change.",
  DISPLAY_NAME: "Display name, case-insensitive.",
  EMAIL: "Email address, case-insensitive; customers without one sort first.",
});
export type CustomerOrderField = keyof typeof CustomerOrderField;

export const OrderDirection = enumOf("OrderDirection", "Sort direction.", {
  ASC: "Ascending.",
  DESC: "Descending.",
});
export type OrderDirection = keyof typeof OrderDirection;

export const UserErrorCode = enumOf("UserErrorCode", "Stable codes of expected mutation failures.", {
  INVALID: "A value is malformed or out of range.",
  NOT_FOUND: "A referenced object does not exist (or is not visible to the caller).",
  NO_CHANGES: "The update would change nothing.",
  VERSION_CONFLICT: "`expectedVersion` does not match the current version.",
  DUPLICATE: "A unique value (such as an external reference) is already taken.",
  INVALID_STATE: "The object's state does not allow this operation.",
  IDEMPOTENCY_CONFLICT: "The Idempotency-Key was used before with a different request.",
  REQUIRED_BY_POLICY: "The organization's registration policy requires this field.",
  SIGNATURE_INVALID: "The signature does not match.",
  CHALLENGE_EXPIRED: "The challenge expired or was already used.",
});
export type UserErrorCode = keyof typeof UserErrorCode;

// Regions where an organization's customer data is kept (AvePoint's dataCenter, with its ids).
export const DATA_CENTER_IDS = {
  AUSTRALIA_SOUTHEAST: ["0b635b49-4c56-4e52-800a-1fa79b2d5b08", "Australia Southeast (Victoria)"],
  CANADA_CENTRAL: ["7b9835ec-7299-4177-85e3-ba5cb3b2e0411", "Canada Central (Toronto)"],
  EAST_US: ["e44bb3ed-f1d8-4055-8c77-c8fd8cd634092", "East US (Virginia)"],
  FRANCE_CENTRAL: ["49681f94-26a7-4825-aca2-df2eca7c0f81", "France Central (Paris)"],
  GCP_AUSTRALIA_SOUTHEAST: ["ab2faf29-9e66-45ce-bf37-32f8cf484fb2", "GCP for Australia Southeast (Sydney)"],
  GCP_EAST_US: ["7bd9748b-b52b-4e4d-9389-e70dccee3b2d", "GCP for East US (Moncks Corner)"],
  GCP_JAPAN: ["4f77581e-1a6f-47fd-9f68-9134a4f6989b", "GCP for Japan (Tokyo)"],
  GCP_SOUTH_KOREA: ["8998f218-708f-4084-8647-32ed67042487", "GCP for South Korea (Seoul)"],
  GCP_WEST_EUROPE: ["e38cb1b7-efa9-490e-ab46-83b45a94d1da", "GCP for West Europe (Eemshaven, Netherlands)"],
  GERMANY_WEST_CENTRAL: ["3225f6f8-a98c-425e-8279-c6696d99659d", "Germany West Central (Frankfurt)"],
  JAPAN_WEST: ["ca577c72-83bd-454c-af62-da3d0586691d", "Japan West (Osaka)"],
  KOREA_CENTRAL: ["e4f66389-8219-4432-9af1-01a9fe62a640", "Korea Central (Seoul)"],
  NORTH_EUROPE: ["f1cdd2b2-ac32-4509-8784-fb2b947ef519", "North Europe (Ireland)"],
  SOUTHEAST_ASIA: ["0d4a9846-97ad-4c09-bb1c-8fbe93eaf3c6", "Southeast Asia (Singapore)"],
  SWITZERLAND_NORTH: ["f8ccd75d-d979-417c-96ee-ae256a3af091", "Switzerland North (Zurich)"],
  UK_SOUTH: ["d95b9c82-a426-400f-8256-70646fdd1b4f", "UK South (London)"],
  WEST_EUROPE: ["4f93bdff-9b11-47b9-aa68-a86bfa09f61c", "West Europe (Netherlands)"],
  US_GOV_VIRGINIA: ["d9210f50-bdb1-4f8f-a2bb-99694d11f2da", "US Gov Virginia (Virginia), government environment"],
} as const;

export const DataCenter = enumOf(
  "DataCenter",
  "Region where an organization's customer data is kept. Each value's description gives the region and its data center id.",
  Object.fromEntries(
    Object.entries(DATA_CENTER_IDS).map(([k, [id, region]]) => [k, `${region}; id ${id}.`]),
  ) as Described<keyof typeof DATA_CENTER_IDS>,
);
export type DataCenter = keyof typeof DataCenter;

export const OnboardStatus = enumOf("OnboardStatus", "Outcome of onboarding a customer to a partner organization (AvePoint's status codes 1-7).", {
  SUCCESSFUL: "Created (or linked) and onboarded.",
  FAILED: "Invalid input; see userErrors.",
  CUSTOMER_NOT_FOUND: "`customerId` names no existing customer.",
  REGISTRATION_FAILED: "The customer could not be registered: the organization's registration policy requires a field that is missing.",
  ALREADY_MANAGED_BY_PARTNER: "The customer is already onboarded to this organization.",
  SAME_AS_PARTNER: "The customer is the partner organization itself.",
  ALREADY_EXISTS: "`registrationAccount` already belongs to another customer.",
});
export type OnboardStatus = keyof typeof OnboardStatus;

export const RegistrationField = enumOf("RegistrationField", "A field an organization's registration policy can require of new customers.", {
  EMAIL: "An email address (`email`, or `person.email`; `registrationAccount` when onboarding).",
  PHONE: "A phone number (`phone` or a `person.telephoneNumbers` entry; `telephoneNumber` when onboarding).",
  PASSWORD: "A password (`person.password`; `password` when onboarding).",
  LAST_NAME: "A person's last name (`person.lastName`; `lastName` when onboarding).",
  DATE_OF_BIRTH: "A person's date of birth (`person.dateOfBirth`).",
  NATIONALITY: "A person's nationality (`person.nationality`).",
  COUNTRY: "A country: a person's nationality, a company's country or an address (`countryCode` when onboarding).",
  ADDRESS: "At least one address.",
  DOCUMENT: "At least one document.",
  EXTERNAL_REFERENCE: "The caller's own reference (`externalReference`).",
});
export type RegistrationField = keyof typeof RegistrationField;
