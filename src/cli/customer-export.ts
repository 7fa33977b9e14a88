// Reads every customer in the API's shape, page by page: keyset pages of ids (and the record's few
// extra columns) from the table, each resolved by executing the export selection against the
// schema in-process, as a root caller.
// Executing the schema (rather than mapping rows here) makes the record exactly what a client
// reads back — same field names, same scalar serialisation — and keeps secrets out by
// construction: what the schema does not expose cannot be exported.
import { and, asc, count, gt, isNull } from "drizzle-orm";
import { execute, parse } from "graphql";
import { SCOPES, UNRESTRICTED, type Principal } from "../auth/principal";
import type { Database } from "../db/client";
import { customers } from "../db/schema";
import type { EventBus } from "../events/pubsub";
import { createLoaders } from "../loaders";
import type { Context } from "../resolvers/context";
import { buildCustomerSchema } from "../schema";
import type { Services } from "../services";
import { exportQuery, NODES_PER_FIELD, toRecord } from "./customer-format";

const ROOT: Principal = { id: "cli", kind: "admin", organizationId: null, root: true, scopes: SCOPES, tags: [] };

export interface ExportSource {
  db: Database;
  bus: EventBus;
  services: Services;
}

/** How many customers an export yields: all but erased ones, archived included. */
export async function countCustomers(db: Database): Promise<number> {
  const [{ n }] = await db.read.select({ n: count() }).from(customers).where(isNull(customers.erasedAt));
  return n;
}

/**
 * Pages of customer records, oldest id first, `pageSize` at a time (one execution, one set of
 * loaders per page). The whole read runs in one read transaction: a consistent snapshot, even
 * while a server writes to the same database.
 */
export async function* customerPages(source: ExportSource, pageSize = 500): AsyncGenerator<Record<string, unknown>[]> {
  const { db } = source;
  const schema = buildCustomerSchema();
  const fields = Math.ceil(pageSize / NODES_PER_FIELD);
  const document = parse(exportQuery(fields));
  const snapshot = await db.snapshot();
  try {
    let after = "";
    for (;;) {
      const rows = await snapshot.read
        .select({
          id: customers.id,
          organizationId: customers.organizationId,
          registrationAccount: customers.registrationAccount,
          statusBeforeDeactivation: customers.statusBeforeDeactivation,
          statusBeforeArchive: customers.statusBeforeArchive,
        })
        .from(customers)
        .where(and(gt(customers.id, after), isNull(customers.erasedAt)))
        .orderBy(asc(customers.id))
        .limit(pageSize);
      if (rows.length === 0) return;
      const variableValues = Object.fromEntries(
        Array.from({ length: fields }, (_, i) => [`ids${i}`, rows.slice(i * NODES_PER_FIELD, (i + 1) * NODES_PER_FIELD).map((r) => r.id)]),
      );
      const contextValue: Context = {
        db,
        bus: source.bus,
        services: source.services,
        loaders: createLoaders(snapshot.read, UNRESTRICTED),
        actor: { name: ROOT.id, via: "SYSTEM", organizationId: null, access: UNRESTRICTED },
        principal: ROOT,
        access: UNRESTRICTED,
      };
      const result = await execute({ schema, document, variableValues, contextValue });
      if (result.errors?.length) throw new Error(`export query failed: ${result.errors.map((e) => e.message).join("; ")}`);
      const data = result.data as Record<string, (Record<string, unknown> | null)[]>;
      const nodes = Array.from({ length: fields }, (_, i) => data[`page${i}`]).flat();
      yield rows.flatMap((row, i) => (nodes[i] ? [toRecord(nodes[i], row)] : []));
      after = rows[rows.length - 1].id;
    }
  } finally {
    await snapshot.end();
  }
}
