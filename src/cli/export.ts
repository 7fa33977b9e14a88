// `export [--format jsonl|csv] [--output FILE]`: every customer (archived included, erased ones
// not), one per line in the API's shape, streamed page by page to stdout or a file. Only data goes
// to stdout; progress and the summary go to stderr.
import fs from "node:fs";
import { finished } from "node:stream/promises";
import { stringify } from "csv-stringify/sync";
import { buildCustomerSchema } from "../schema";
import { countCustomers, customerPages } from "./customer-export";
import { csvColumns, flatten } from "./customer-format";
import { progress, rateSummary } from "./progress";
import { choice, intOption, type Cli } from "./runtime";

export const FORMATS = ["jsonl", "csv"] as const;
export type Format = (typeof FORMATS)[number];

/** --format, else the file's extension, else JSON lines. */
export function formatOf(option: string | undefined, file: string | undefined): Format {
  return choice(option, "format", FORMATS, file?.toLowerCase().endsWith(".csv") ? "csv" : "jsonl");
}

/** Resolves when `out` can take more, or has failed. */
function drained(out: NodeJS.WritableStream): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      out.off("drain", done);
      out.off("error", done);
      resolve();
    };
    out.on("drain", done);
    out.on("error", done);
  });
}

export async function exportCustomers(cli: Cli): Promise<number> {
  const { options } = cli;
  const format = formatOf(options.format, options.output);
  const out = options.output ? fs.createWriteStream(options.output) : process.stdout;
  let broken: Error | null = null;
  // A closed pipe (`export | head`) ends the export quietly; other write errors are failures.
  out.on("error", (error: NodeJS.ErrnoException) => (broken = error));

  const columns = format === "csv" ? csvColumns(buildCustomerSchema()) : [];
  const total = await countCustomers(cli.db);
  const bar = progress(Boolean(options.progress) || process.stderr.isTTY, total, "customers");
  const started = Date.now();
  let written = 0;
  if (format === "csv") out.write(stringify([columns.map((c) => c.name)]));
  for await (const page of customerPages(cli, intOption(options["batch-size"], "batch-size", 500))) {
    const chunk =
      format === "csv"
        ? stringify(page.map((record) => flatten(record, columns)))
        : page.map((record) => JSON.stringify(record)).join("\n") + "\n";
    if (!out.write(chunk)) await drained(out);
    if (broken) break;
    written += page.length;
    bar.update(written, written);
  }
  bar.stop();
  if (out !== process.stdout) {
    out.end();
    await finished(out).catch(() => undefined);
  }
  const error = broken as NodeJS.ErrnoException | null;
  if (error && error.code !== "EPIPE") throw error;
  if (error) process.stderr.write("export stopped: the output was closed\n");
  else process.stderr.write(`exported ${rateSummary(written, Date.now() - started, "customers")} as ${format} to ${options.output ?? "stdout"}\n`);
  return 0;
}
