// Test harness: a real server on a random port over a fresh SQLite file, and a GraphQL client
// that talks to it over HTTP as any client would.
import "reflect-metadata";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Writable } from "node:stream";
import type { Client } from "graphql-ws";
import pino from "pino";
import { loadConfig } from "../src/config";
import { startApp, type App } from "../src/server/app";
import type { CustomerEventRow } from "../src/db/schema";

export interface GraphQLResponse<T = any> {
  data?: T;
  errors?: { message: string; path?: string[]; extensions?: { code?: string; [k: string]: unknown } }[];
  extensions?: { sqlStatements?: number; [k: string]: unknown };
}

export interface TestServer {
  app: App;
  url: string;
  dir: string;
  /** Everything the server logged, one JSON line each. */
  logs: string[];
  gql<T = any>(query: string, variables?: Record<string, unknown>, headers?: Record<string, string>): Promise<GraphQLResponse<T>>;
  close(): Promise<void>;
}

export async function startTestServer(env: Record<string, string> = {}): Promise<TestServer> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "customer-api-test-"));
  const config = loadConfig({
    NODE_ENV: "test",
    PORT: "0",
    HOST: "127.0.0.1",
    DATABASE_URL: path.join(dir, "test.db"),
    SEED_DEMO: "false",
    ...env,
  });
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      logs.push(...chunk.toString().split("\n").filter(Boolean));
      done();
    },
  });
  const app = await startApp(config, pino({ level: "info" }, sink));
  return {
    app,
    url: app.url,
    dir,
    logs,
    async gql(query, variables, headers = {}) {
      const res = await fetch(app.url, {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body: JSON.stringify({ query, variables }),
      });
      return (await res.json()) as GraphQLResponse;
    },
    async close() {
      await app.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Asserts a GraphQL response has no errors and returns its data. */
export function dataOf<T = any>(response: GraphQLResponse<T>): T {
  if (response.errors?.length) throw new Error(`GraphQL errors: ${JSON.stringify(response.errors)}`);
  if (!response.data) throw new Error("No data in response");
  return response.data;
}

export const CREATE_ORGANIZATION = /* GraphQL */ `
  mutation ($input: CreateOrganizationInput!) {
    createOrganization(input: $input) { organization { id name } userErrors { code field message } }
  }
`;

export async function createOrganization(server: TestServer, input: Record<string, unknown> = { name: "Test Org" }) {
  const data = dataOf(await server.gql(CREATE_ORGANIZATION, { input }));
  if (data.createOrganization.userErrors.length) throw new Error(JSON.stringify(data.createOrganization.userErrors));
  return data.createOrganization.organization as { id: string; name: string };
}

export const CUSTOMER_FIELDS = /* GraphQL */ `
  id type status displayName nickname email phone categorization tags externalReference riskLevel manager version
  createdAt createdBy createdVia updatedAt updatedBy updatedVia
  person {
    fullName gender dateOfBirth placeOfBirth nationality email hasPassword hasPinCode
    firstName { name order abbreviation language native prefix suffix }
    middleName { name } lastName { name native }
    telephoneNumbers { phoneType number country operator encoding purpose }
    secretQuestions { question }
  }
  company { legalName shortName registrationNumber countryCode }
  addresses {
    id purpose isPrimary
    address {
      country area zipCode city street streetNumber building apartment entrance floor doorNumber
      geoPosition { latitude longitude altitude } alternative { word1 word2 word3 }
      relatedTo { relationType address } additionalData { name type value }
    }
  }
  documents(first: 10) { totalCount nodes { id purpose documentType name location status metadata { name type value } expiresAt } }
  notificationPreferences { notificationType channel isEnabled }
  verification { status level }
  memberships { organization { id name } managementMode active }
`;

export const CREATE_CUSTOMER = /* GraphQL */ `
  mutation ($input: CreateCustomerInput!) {
    createCustomer(input: $input) {
      customer { ${CUSTOMER_FIELDS} }
      verification { status level }
      userErrors { code field message }
    }
  }
`;

export async function createCustomer(server: TestServer, input: Record<string, unknown>) {
  const data = dataOf(await server.gql(CREATE_CUSTOMER, { input }));
  if (data.createCustomer.userErrors.length) throw new Error(JSON.stringify(data.createCustomer.userErrors));
  return data.createCustomer.customer;
}

export function personInput(first: string, last: string, extra: Record<string, unknown> = {}) {
  return { type: "PERSON", person: { firstName: { name: first }, lastName: { name: last } }, ...extra };
}

/** The payload of the one root field `name`, after checking the response has no GraphQL errors. */
export function payloadOf(response: GraphQLResponse, name: string): any {
  const data = dataOf(response) as Record<string, any>;
  if (!data[name]) throw new Error(`response has no ${name}`);
  return data[name];
}

/** Every row of every table: proves that a refused request changed nothing at all. */
export function dbSnapshot(server: TestServer): Record<string, unknown[]> {
  const sqlite = server.app.db.sqlite;
  const tables = sqlite
    .prepare("select name from sqlite_master where type = 'table' and name not like 'sqlite_%' and name not like '__drizzle%' order by name")
    .all() as { name: string }[];
  return Object.fromEntries(tables.map(({ name }) => [name, sqlite.prepare(`select * from "${name}" order by rowid`).all()]));
}

/** Row counts of every table, to prove that a refused mutation wrote nothing. */
export function tableCounts(server: TestServer): Record<string, number> {
  const sqlite = server.app.db.sqlite;
  const tables = sqlite
    .prepare("select name from sqlite_master where type = 'table' and name not like 'sqlite_%' and name not like '__drizzle%'")
    .all() as { name: string }[];
  return Object.fromEntries(
    tables.map(({ name }) => [name, (sqlite.prepare(`select count(*) as n from "${name}"`).get() as { n: number }).n]),
  );
}

/**
 * Collects `count` results of a graphql-ws subscription, then stops it. graphql-ws has no
 * "subscribed" acknowledgement: `ready` gives the server `settleMs` to start listening, and
 * `received(n)` waits (up to 5 s) until n results have come.
 */
export function collectSubscription<T = any>(
  client: Client,
  query: string,
  variables: Record<string, unknown>,
  count: number,
  settleMs = 150,
): { done: Promise<T[]>; ready: Promise<void>; received: (n: number) => Promise<void> } {
  const results: T[] = [];
  let dispose = () => {};
  const done = new Promise<T[]>((resolve, reject) => {
    dispose = client.subscribe<T>(
      { query, variables },
      {
        next: (value) => {
          if (value.errors) reject(new Error(JSON.stringify(value.errors)));
          results.push(value.data as T);
          if (results.length === count) {
            dispose();
            resolve(results);
          }
        },
        error: reject,
        complete: () => resolve(results),
      },
    );
  });
  const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
  const received = async (n: number) => {
    for (let i = 0; i < 250 && results.length < n; i++) await pause(20);
  };
  return { done, ready: pause(settleMs), received };
}

/** An UPDATED event row of `customerId`, as the event log holds it, for tests of the event streams. */
export function customerEventRow(seq: number, customerId: string): CustomerEventRow {
  return {
    seq,
    id: `event_${seq}`,
    organizationId: "org_1",
    type: "UPDATED",
    customerId,
    changedFields: ["nickname"],
    actor: "test",
    via: "API",
    occurredAt: new Date().toISOString(),
  };
}
