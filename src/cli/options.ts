// The command line's options: one table for every command, parsed strictly (a typo is an error).
import { parseArgs } from "node:util";

export const OPTIONS = {
  org: { type: "string" },
  scopes: { type: "string" },
  name: { type: "string" },
  tags: { type: "string" },
  expires: { type: "string" },
  parent: { type: "string" },
  "legal-name": { type: "string" },
  country: { type: "string" },
  "data-center": { type: "string" },
  customers: { type: "string" },
  seed: { type: "string" },
  format: { type: "string" },
  output: { type: "string", short: "o" },
  input: { type: "string", short: "i" },
  "error-policy": { type: "string" },
  "batch-size": { type: "string" },
  "create-orgs": { type: "boolean" },
  workers: { type: "string" },
  progress: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

export function parseCommandLine(argv: string[]) {
  return parseArgs({ args: argv, allowPositionals: true, strict: true, options: OPTIONS });
}

export type CliOptions = ReturnType<typeof parseCommandLine>["values"];
