// `seed --customers N`: varied sample customers, written by the import service (the API's
// validation and createInTx, batched transactions).
import { randomInt } from "node:crypto";
import { ImportService } from "../services/import.service";
import { sampleCustomers } from "../services/sample-customers";
import { progress, rateSummary } from "./progress";
import { intOption, UsageError, type Cli } from "./runtime";
import { checkRows, defaultWorkers } from "./checking";
import { reportRowError } from "./import";
import type { RawRow } from "./rows";

export async function seed(cli: Cli): Promise<number> {
  const { options, services, db } = cli;
  if (options.customers === undefined) throw new UsageError("seed needs --customers <N>");
  const count = intOption(options.customers, "customers", 0, 1);
  const seedNumber = intOption(options.seed, "seed", randomInt(0, 2 ** 31), 0);
  const organizationId = options.org ?? (await services.organizations.defaultOrganizationId());
  if (!organizationId) throw new UsageError("there is no organization yet: create one with `orgs create --name <name>`, or pass --org");

  const kinds = { PERSON: 0, ORGANIZATION: 0 };
  const inputs = (function* (): Generator<RawRow> {
    let row = 0;
    for (const input of sampleCustomers(count, { seed: seedNumber, organizationId })) {
      kinds[input.type as keyof typeof kinds] += 1;
      yield { row: ++row, kind: "input", input };
    }
  })();
  // Checked as createCustomer checks its input, in worker threads while the main thread writes.
  const rows = checkRows(inputs, { shape: { kind: "leaf" }, columns: [] }, intOption(options.workers, "workers", defaultWorkers(), 0));

  const bar = progress(Boolean(options.progress) || process.stderr.isTTY, count, "customers");
  const started = Date.now();
  const result = await new ImportService(db, services).run(rows, {
    actor: { name: "seed", via: "SYSTEM", organizationId },
    policy: "skip-failed",
    batchSize: intOption(options["batch-size"], "batch-size", 1000),
    onError: reportRowError,
    onProgress: (n) => bar.update(n, n),
  });
  bar.stop();
  console.log(
    `seeded ${result.imported} customers (${kinds.PERSON} persons, ${kinds.ORGANIZATION} companies requested) into ${organizationId}, seed ${seedNumber}: ${rateSummary(result.imported, Date.now() - started, "customers")}`,
  );
  if (result.failed > 0) console.log(`${result.failed} failed (see stderr)`);
  return result.failed > 0 ? 1 : 0;
}
