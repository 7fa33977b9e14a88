import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import {
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isObjectType,
  isScalarType,
  isUnionType,
  type GraphQLField,
  type GraphQLInputField,
} from "graphql";
import { buildCustomerSchema, printCustomerSchema } from "../src/schema";

const ROOT = path.resolve(__dirname, "../..");

test("schema.graphql is what the code emits (run `npm run schema` after changing types)", () => {
  const committed = fs.readFileSync(path.join(ROOT, "schema.graphql"), "utf8");
  assert.equal(committed, printCustomerSchema());
});

test("every type, field, argument and enum value has a description", () => {
  const missing: string[] = [];
  for (const type of Object.values(buildCustomerSchema().getTypeMap())) {
    if (type.name.startsWith("__")) continue;
    if (!type.description) missing.push(type.name);
    if (isObjectType(type) || isInterfaceType(type) || isInputObjectType(type)) {
      for (const field of Object.values(type.getFields()) as (GraphQLField<unknown, unknown> | GraphQLInputField)[]) {
        if (!field.description) missing.push(`${type.name}.${field.name}`);
        for (const arg of "args" in field ? field.args : []) {
          if (!arg.description) missing.push(`${type.name}.${field.name}(${arg.name})`);
        }
      }
    }
    if (isEnumType(type)) {
      for (const value of type.getValues()) if (!value.description) missing.push(`${type.name}.${value.name}`);
    }
    if (isUnionType(type) && !type.description) missing.push(type.name);
    if (isScalarType(type) && !type.description) missing.push(type.name);
  }
  assert.deepEqual(missing, []);
});

test("the schema has the contract's names and shapes", () => {
  const schema = buildCustomerSchema();
  const sdl = printCustomerSchema();
  const fieldsOf = (name: string) => {
    const type = schema.getType(name);
    assert.ok(type && (isObjectType(type) || isInterfaceType(type) || isInputObjectType(type)), `${name} exists`);
    return Object.keys(type.getFields());
  };
  const expect: Record<string, string[]> = {
    Query: ["node", "nodes", "viewer", "customer", "customerByExternalReference", "customers", "organization", "organizations"],
    Mutation: [
      "createCustomer", "updateCustomer", "addCustomerAddress", "updateCustomerAddress", "removeCustomerAddress",
      "addDocument", "removeDocument", "setNotificationPreferences", "createOrganization", "updateOrganization",
    ],
    Subscription: ["customerEvents", "customerUpdated"],
    Customer: [
      "id", "type", "status", "displayName", "nickname", "email", "phone", "categorization", "tags", "externalReference",
      "riskLevel", "manager", "person", "company", "addresses", "documents", "notificationPreferences", "verification",
      "wallets", "memberships", "events", "version", "createdAt", "createdBy", "createdVia", "updatedAt", "updatedBy",
      "updatedVia", "archivedAt", "archivedBy", "archivedVia", "deactivatedAt", "deactivationReason",
    ],
    Person: [
      "firstName", "middleName", "lastName", "fullName", "gender", "dateOfBirth", "placeOfBirth", "nationality", "email",
      "telephoneNumbers", "secretQuestions", "hasPassword", "hasPinCode", "twoFactor",
    ],
    Address: [
      "country", "area", "zipCode", "city", "street", "streetNumber", "building", "apartment", "entrance", "floor",
      "doorNumber", "geoPosition", "alternative", "relatedTo", "additionalData",
    ],
    Organization: ["id", "name", "legalName", "countryCode", "dataCenter", "parent", "customers", "createdAt", "updatedAt"],
    CustomerFilter: [
      "ids", "email", "name", "nickname", "types", "statuses", "tags", "countryCodes", "city", "managers", "riskLevels",
      "verificationStatuses", "companyName", "organizationId", "createdAfter", "createdBefore", "updatedAfter",
      "updatedBefore", "includeArchived",
    ],
    CustomerConnection: ["edges", "nodes", "pageInfo", "totalCount"],
    UserError: ["code", "field", "message"],
  };
  for (const [type, fields] of Object.entries(expect)) {
    const actual = fieldsOf(type);
    for (const field of fields) assert.ok(actual.includes(field), `${type}.${field} exists`);
  }
  // Secrets are write-only: no output type may expose them.
  assert.doesNotMatch(sdl.replace(/input \w+ \{[^}]*\}/g, ""), /\b(password|pinCode|answer|passwordHash)\s*:/);
  const customersArgs = schema.getQueryType()!.getFields().customers.args.map((a) => a.name).sort();
  assert.deepEqual(customersArgs, ["after", "before", "filter", "first", "last", "orderBy", "search"]);
});
