// `import [--format jsonl|csv] [--input FILE] [--error-policy reject-all|skip-failed]`: reads what
// `export` writes (or hand-written rows of the same shape), line by line, from stdin or a file.
// Worker threads decode and check the rows (createCustomer's validation); the main thread writes
// them through the import service, many rows per transaction. Errors and the summary go to stderr.
import fs from "node:fs";
import readline from "node:readline";
import type { Readable } from "node:stream";
import { parse as parseCsv } from "csv-parse";
import { buildCustomerSchema } from "../schema";
import { ImportService, type ErrorPolicy, type RowError } from "../services/import.service";
import { checkRows, defaultWorkers } from "./checking";
import { createInputShape, csvColumns } from "./customer-format";
import { formatOf } from "./export";
import { progress, rateSummary } from "./progress";
import type { RawRow } from "./rows";
import { choice, intOption, type Cli } from "./runtime";

export const ERROR_POLICIES = ["reject-all", "skip-failed"] as const satisfies readonly ErrorPolicy[];

/** `row 12: INVALID person.email: person.email is not a valid email address` */
export function reportRowError(error: RowError): void {
  process.stderr.write(`row ${error.row}: ${error.code}${error.field?.length ? ` ${error.field.join(".")}` : ""}: ${error.message}\n`);
}

const missingOrganization = (e: RowError) => e.code === "NOT_FOUND" && e.field?.length === 1 && e.field[0] === "organizationId";

/** JSON lines: row N is line N; blank lines are skipped. */
async function* jsonlRows(input: Readable): AsyncGenerator<RawRow> {
  let row = 0;
  for await (const text of readline.createInterface({ input, crlfDelay: Infinity })) {
    row += 1;
    if (text.trim() !== "") yield { row, kind: "jsonl", text };
  }
}

/** CSV with the export's header: row N is the Nth record after the header. */
async function* csvRows(input: Readable): AsyncGenerator<RawRow> {
  const parser = input.pipe(parseCsv({ columns: true, bom: true, skip_empty_lines: true, relax_column_count: true }));
  input.on("error", (error) => parser.destroy(error));
  let row = 0;
  for await (const cells of parser as AsyncIterable<Record<string, string>>) yield { row: ++row, kind: "csv", cells };
}

export async function importCustomers(cli: Cli): Promise<number> {
  const { options, db, services } = cli;
  const format = formatOf(options.format, options.input);
  const policy = choice(options["error-policy"], "error-policy", ERROR_POLICIES, "reject-all");
  const workers = intOption(options.workers, "workers", defaultWorkers(), 0);
  const file = options.input ? fs.createReadStream(options.input) : null;
  const input = file ?? process.stdin;
  if (!file && process.stdin.isTTY) process.stderr.write("reading rows from stdin (end with Ctrl-D; --input FILE reads a file)\n");
  const schema = buildCustomerSchema();
  const context = { shape: createInputShape(schema), columns: csvColumns(schema), organizationId: options.org };
  const rows = checkRows(format === "csv" ? csvRows(input) : jsonlRows(input), context, workers);

  // A file shows progress by bytes read (a known total); stdin by rows only.
  const bar = progress(Boolean(options.progress) || process.stderr.isTTY, file ? fs.statSync(options.input!).size : null);
  const started = Date.now();
  let organizationsMissing = false;
  const result = await new ImportService(db, services).run(rows, {
    actor: { name: "import", via: "IMPORT", organizationId: null },
    policy,
    batchSize: intOption(options["batch-size"], "batch-size", 1000),
    createOrganizations: Boolean(options["create-orgs"]),
    onError: (error) => {
      organizationsMissing ||= missingOrganization(error);
      reportRowError(error);
    },
    onProgress: (n) => bar.update(file ? file.bytesRead : n, n),
  });
  bar.stop();
  const elapsed = Date.now() - started;
  const outcome = result.rolledBack
    ? `nothing imported: ${result.failed} of ${result.rows} rows failed and --error-policy reject-all rolled everything back`
    : `imported ${result.imported} of ${result.rows} rows, ${result.failed} failed`;
  process.stderr.write(`${outcome}; ${rateSummary(result.rows, elapsed)}\n`);
  if (organizationsMissing && !options["create-orgs"]) {
    process.stderr.write("hint: --create-orgs creates the organizations the rows describe; --org <org_id> puts every row in one\n");
  }
  return result.failed > 0 ? 1 : 0;
}
