// The customer record of `export` and `import`: a Customer as the API returns it (the selection
// below, run against the schema), plus the few columns the API keeps to itself but a copy of the
// customer needs (RECORD_EXTRAS: the organization it belongs to, its login account, the statuses
// reactivation and restore go back to). CSV flattens it to one column per leaf, with dotted paths;
// list-valued fields are JSON cells. Importing projects a record onto CreateCustomerInput by the
// input types' own fields (inputs mirror the output types, so a record read back is a valid
// input), and takes the rest of the customer's state (status, version, audit, lifecycle, KYC,
// review decisions, memberships, wallets) from the record's read-only fields.
import {
  getNamedType,
  getNullableType,
  isInputObjectType,
  isListType,
  isObjectType,
  Kind,
  parse,
  type GraphQLInputType,
  type GraphQLNamedType,
  type GraphQLObjectType,
  type GraphQLSchema,
  type SelectionSetNode,
} from "graphql";
import type { UserErrorData } from "../services/errors";

/** Everything a client reads back about a customer, but its history (events) and KYC link. */
export const CUSTOMER_SELECTION = /* GraphQL */ `
  id type status displayName nickname email phone categorization tags externalReference riskLevel manager dataCenter
  version createdAt createdBy createdVia updatedAt updatedBy updatedVia
  archivedAt archivedBy archivedVia deactivatedAt deactivationReason
  person {
    firstName { name order abbreviation language native prefix suffix }
    middleName { name order abbreviation language native prefix suffix }
    lastName { name order abbreviation language native prefix suffix }
    fullName gender dateOfBirth placeOfBirth nationality email
    telephoneNumbers { phoneType number country operator encoding purpose }
    secretQuestions { question }
    hasPassword hasPinCode
    twoFactor { targetType maskedTarget }
  }
  company { legalName shortName registrationNumber countryCode }
  addresses {
    id purpose isPrimary
    address {
      country area zipCode city street streetNumber building apartment entrance floor doorNumber
      geoPosition { latitude longitude altitude }
      alternative { word1 word2 word3 }
      relatedTo { relationType address }
      additionalData { name type value }
    }
  }
  documents(first: 100) {
    nodes { id purpose documentType name location status verificationResponse metadata { name type value } expiresAt createdAt reviewedAt }
  }
  notificationPreferences { notificationType channel isEnabled updatedAt }
  verification { status level updatedAt }
  memberships { organization { id name legalName countryCode dataCenter } managementMode active tags onboardedAt }
  wallets { address chain verifiedAt active }
`;

/** At most 100 ids per `nodes` field (the API's cap); several aliased fields share one set of loaders. */
export const NODES_PER_FIELD = 100;

export function exportQuery(fields: number): string {
  const variables = Array.from({ length: fields }, (_, i) => `$ids${i}: [ID!]!`).join(", ");
  const selections = Array.from({ length: fields }, (_, i) => `page${i}: nodes(ids: $ids${i}) { ... on Customer { ...CustomerRecord } }`);
  return `query Export(${variables}) { ${selections.join(" ")} }\nfragment CustomerRecord on Customer { ${CUSTOMER_SELECTION} }`;
}

/**
 * Columns of the customer that the API does not return but that a copy of the customer needs,
 * each placed right after a field of the selection: `organizationId` (the create input's name for
 * the organization it belongs to), `registrationAccount` (the login account onboarding gave it,
 * unique) and the statuses a reactivation and a restore go back to. None of them is a secret.
 */
export const RECORD_EXTRAS = [
  { after: "id", name: "organizationId", type: "ID" },
  { after: "dataCenter", name: "registrationAccount", type: "String" },
  { after: "deactivationReason", name: "statusBeforeDeactivation", type: "CustomerStatus" },
  { after: "deactivationReason", name: "statusBeforeArchive", type: "CustomerStatus" },
] as const;

export type RecordExtras = Record<(typeof RECORD_EXTRAS)[number]["name"], string | null>;

/** A record: the node the selection returned, with the extras in their places. */
export function toRecord(node: Record<string, unknown>, extras: RecordExtras): Record<string, unknown> {
  const record: Record<string, unknown> = {};
  for (const key of Object.keys(node)) {
    record[key] = node[key];
    for (const extra of RECORD_EXTRAS) if (extra.after === key) record[extra.name] = extras[extra.name];
  }
  return record;
}

// ---- CSV columns ----------------------------------------------------------------------------

export interface Column {
  /** Dotted path, e.g. "person.firstName.name". */
  name: string;
  path: string[];
  /** A list: one JSON cell. */
  json: boolean;
  /** The leaf's GraphQL type name (String, Int, Float, Boolean, an enum or a scalar). */
  type: string;
}

/** The CSV columns, in record order: derived from the selection, so they always match it. */
export function csvColumns(schema: GraphQLSchema): Column[] {
  const customer = schema.getType("Customer") as GraphQLObjectType;
  const selection = (parse(`{ ${CUSTOMER_SELECTION} }`).definitions[0] as { selectionSet: SelectionSetNode }).selectionSet;
  const columns: Column[] = [];
  const walk = (type: GraphQLObjectType, set: SelectionSetNode, prefix: string[]) => {
    for (const node of set.selections) {
      if (node.kind !== Kind.FIELD) continue;
      const name = node.alias?.value ?? node.name.value;
      const path = [...prefix, name];
      const fieldType = getNullableType(type.getFields()[node.name.value].type);
      const named = getNamedType(fieldType);
      if (isListType(fieldType)) columns.push({ name: path.join("."), path, json: true, type: named.name });
      else if (isObjectType(named) && named.name.endsWith("Connection")) {
        // A connection (documents) is its nodes: a list.
        columns.push({ name: path.join("."), path, json: true, type: named.name });
      } else if (isObjectType(named) && node.selectionSet) walk(named, node.selectionSet, path);
      else columns.push({ name: path.join("."), path, json: false, type: named.name });
      if (prefix.length > 0) continue;
      for (const extra of RECORD_EXTRAS) {
        if (extra.after === name) columns.push({ name: extra.name, path: [extra.name], json: false, type: extra.type });
      }
    }
  };
  walk(customer, selection, []);
  return columns;
}

function at(record: unknown, path: string[]): unknown {
  let value = record;
  for (const key of path) {
    if (value === null || typeof value !== "object") return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

/** One CSV row: empty cells for null (nothing the API returns is an empty string). */
export function flatten(record: Record<string, unknown>, columns: Column[]): string[] {
  return columns.map((column) => {
    let value = at(record, column.path);
    if (column.json && value && typeof value === "object" && !Array.isArray(value) && "nodes" in value) value = value.nodes;
    if (value === null || value === undefined) return "";
    if (column.json) return JSON.stringify(value);
    // As JSON has it (what a client over HTTP reads): a DateTime is its ISO string, not Date#toString.
    return value instanceof Date ? value.toISOString() : String(value);
  });
}

/**
 * A record from a CSV row. Known columns get their type back (numbers, booleans, JSON lists);
 * unknown ones are kept as text at their dotted path, so a hand-written file may use input-only
 * fields (person.password, say). Cells that cannot be read are returned as row errors.
 */
export function unflatten(row: Record<string, string | undefined>, columns: Map<string, Column>): { record: Record<string, unknown>; errors: UserErrorData[] } {
  const record: Record<string, unknown> = {};
  const errors: UserErrorData[] = [];
  for (const [name, cell] of Object.entries(row)) {
    if (cell === undefined || cell === "") continue;
    const column = columns.get(name);
    const path = column?.path ?? name.split(".");
    let value: unknown = cell;
    if (column?.json) {
      try {
        value = JSON.parse(cell);
      } catch {
        errors.push({ code: "INVALID", field: path, message: `${name} is not valid JSON` });
        continue;
      }
    } else if (column && (column.type === "Int" || column.type === "Float")) {
      value = cell.trim() !== "" && Number.isFinite(Number(cell)) ? Number(cell) : cell;
    } else if (column?.type === "Boolean") {
      value = cell === "true" ? true : cell === "false" ? false : cell;
    }
    let target = record;
    for (const key of path.slice(0, -1)) {
      const next = target[key];
      target = (next && typeof next === "object" ? next : (target[key] = {})) as Record<string, unknown>;
    }
    target[path[path.length - 1]] = value;
  }
  return { record, errors };
}

// ---- record -> create input -----------------------------------------------------------------

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** An input type, compiled into what projecting a value onto it needs: plain data (workers get it). */
export type Shape = { kind: "leaf" } | { kind: "list"; item: Shape } | { kind: "object"; fields: [string, Shape][] };

function compile(type: GraphQLInputType): Shape {
  const nullable = getNullableType(type) as GraphQLInputType;
  if (isListType(nullable)) return { kind: "list", item: compile(nullable.ofType as GraphQLInputType) };
  if (isInputObjectType(nullable)) {
    return { kind: "object", fields: Object.entries(nullable.getFields()).map(([name, field]) => [name, compile(field.type)]) };
  }
  return { kind: "leaf" };
}

/** CreateCustomerInput, compiled. */
export function createInputShape(schema: GraphQLSchema): Shape {
  return compile(schema.getType("CreateCustomerInput") as GraphQLNamedType & GraphQLInputType);
}

/**
 * `value` cut down to the fields of the input type `shape` was compiled from: read-only fields
 * (ids, fullName, status, ...) fall away, a connection becomes its list of nodes, and nulls and
 * empty lists (the same as absent to createCustomer) are left out. Values are not converted:
 * validation judges them.
 */
function project(value: unknown, shape: Shape): unknown {
  if (shape.kind === "list") {
    const list = isPlainObject(value) && Array.isArray(value.nodes) ? value.nodes : value;
    return Array.isArray(list) ? list.map((item) => project(item, shape.item)) : value;
  }
  if (shape.kind === "object" && isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [name, fieldShape] of shape.fields) {
      const given = value[name];
      if (given === null || given === undefined) continue;
      const projected = project(given, fieldShape);
      if (projected === null || projected === undefined || (Array.isArray(projected) && projected.length === 0)) continue;
      out[name] = projected;
    }
    return out;
  }
  return value;
}

export interface ImportParts {
  input: Record<string, unknown>;
  identity: Record<string, unknown>;
  /** The customer's state as the record has it; empty for a row of create-input fields only. */
  state: Record<string, unknown>;
  /** The organizations the record describes (in its memberships), by id. */
  organizations?: Record<string, unknown>[];
}

/** Read-only fields of a record that are the customer's state, kept as given when present. */
const STATE_FIELDS = [
  "status",
  "version",
  "updatedAt",
  "updatedBy",
  "updatedVia",
  "archivedAt",
  "archivedBy",
  "archivedVia",
  "deactivatedAt",
  "deactivationReason",
  "statusBeforeDeactivation",
  "statusBeforeArchive",
  "registrationAccount",
  "dataCenter",
  "verification",
  "wallets",
] as const;

const listOf = (value: unknown): unknown[] | undefined => {
  const list = isPlainObject(value) && Array.isArray(value.nodes) ? value.nodes : value;
  return Array.isArray(list) ? list : undefined;
};

/** From each item of a list, the given fields (null when the item is not an object). */
const pickEach = (list: unknown[] | undefined, fields: string[]) =>
  list?.map((item) => (isPlainObject(item) ? Object.fromEntries(fields.map((f) => [f, item[f]])) : null));

/**
 * Splits a record into the create input (projected onto `shape`, CreateCustomerInput's), the
 * identity kept from the source, the state it is in, and the organizations it describes. With
 * `organizationId` (--org), the customer moves there: the membership in the organization it
 * belonged to becomes its membership in the new one.
 */
export function toImportParts(record: Record<string, unknown>, shape: Shape, organizationId?: string): ImportParts {
  const input = project(record, shape) as Record<string, unknown>;
  const person = input.person;
  if (isPlainObject(person) && Array.isArray(person.secretQuestions)) {
    // Answers are write-only, so exported questions come without them: such questions cannot be
    // set again and are left out; a hand-written row that gives answers keeps them.
    const answered = person.secretQuestions.filter((q) => isPlainObject(q) && q.answer != null);
    if (answered.length > 0) person.secretQuestions = answered;
    else delete person.secretQuestions;
  }
  const sourceOrganizationId = input.organizationId;
  if (organizationId) input.organizationId = organizationId;

  const documents = listOf(record.documents);
  const identity: Record<string, unknown> = {
    id: record.id,
    createdAt: record.createdAt,
    createdBy: record.createdBy,
    createdVia: record.createdVia,
    addressIds: Array.isArray(record.addresses) ? record.addresses.map((a) => (isPlainObject(a) ? a.id : undefined)) : undefined,
    documents: documents?.map((d) => (isPlainObject(d) ? { id: d.id, createdAt: d.createdAt } : undefined)),
  };

  const state: Record<string, unknown> = {};
  for (const field of STATE_FIELDS) if (record[field] != null) state[field] = record[field];
  if (documents?.some((d) => isPlainObject(d) && (d.status != null || d.verificationResponse != null || d.reviewedAt != null))) {
    state.documents = pickEach(documents, ["status", "verificationResponse", "reviewedAt"]);
  }
  const preferences = listOf(record.notificationPreferences);
  if (preferences?.some((p) => isPlainObject(p) && p.updatedAt != null)) {
    state.notificationPreferences = pickEach(preferences, ["notificationType", "channel", "updatedAt"]);
  }

  const organizations: Record<string, unknown>[] = [];
  const memberships = listOf(record.memberships);
  if (memberships) {
    const idOf = (m: unknown) => (isPlainObject(m) && isPlainObject(m.organization) ? m.organization.id : undefined);
    // Moved by --org: its membership where it was becomes its membership where it goes (unless it
    // was onboarded there too).
    const move = Boolean(organizationId && sourceOrganizationId !== organizationId && !memberships.some((m) => idOf(m) === organizationId));
    state.memberships = memberships.flatMap((m) => {
      if (!isPlainObject(m)) return [m];
      const id = idOf(m);
      if (organizationId && id === sourceOrganizationId && id !== organizationId && !move) return [];
      if (isPlainObject(m.organization)) organizations.push(m.organization);
      return [{ ...m, organization: { id: move && id === sourceOrganizationId ? organizationId : id } }];
    });
  }
  return { input, identity, state, organizations: organizations.length > 0 ? organizations : undefined };
}
