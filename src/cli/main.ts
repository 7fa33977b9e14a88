// `npm run cli -- <command>`: dispatches to the commands, maps failures to exit codes
// (1: the command failed, 2: a usage mistake).
import { UserErrors } from "../services/errors";
import { keys, migrate, orgs } from "./admin";
import { backup } from "./backup";
import { copyToPostgres } from "./copy";
import { exportCustomers } from "./export";
import { importCustomers } from "./import";
import { parseCommandLine } from "./options";
import { openCli, UsageError } from "./runtime";
import { seed } from "./seed";

export const HELP = `Usage: npm run cli -- <command> [options]
       (or node dist/src/cli.js <command> [options])

Acts on the database DATABASE_URL names: a SQLite file (default file:./data/customers.db) or a
PostgreSQL database (postgres://user@host:5432/name); opening it applies pending migrations.

Commands:
  migrate                                   apply the migrations in drizzle/ (also done on every start)
  keys create --org <org_id> --scopes <s1,s2> [--name <name>] [--tags <t1,t2>] [--expires <ISO time>]
                                            create an API key; its secret is printed once
  keys list [--org <org_id>]                list API keys (never their secrets)
  keys revoke <key_id>                      revoke an API key
  orgs list                                 list organizations (id, name, parent)
  orgs create --name <name> [--parent <org_id>] [--legal-name <n>] [--country <code>] [--data-center <dc>]
                                            create an organization, validated as createOrganization
  seed --customers <N> [--org <org_id>] [--seed <number>]
                                            create N varied sample customers (persons and companies,
                                            15 countries) in the organization (default: the oldest);
                                            the same --seed gives the same customers
  export [--format jsonl|csv] [--output <file>]
                                            write every customer (archived too, erased not), one per
                                            line, to stdout or a file; a consistent snapshot
  import [--format jsonl|csv] [--input <file>] [--error-policy reject-all|skip-failed]
         [--org <org_id>] [--create-orgs]   create customers from an export (stdin by default)
  backup <file>                             online backup to a new database file (safe while the
                                            server runs); SQLite only (on PostgreSQL: pg_dump)
  copy-to-postgres <postgres-url>           copy the SQLite database into an empty PostgreSQL
                                            database (migrated first), every table in one
                                            transaction, then compare row counts (exit 1 when
                                            they differ); the target must hold no rows

Options:
  --progress                                show progress on stderr even when it is not a terminal
  --batch-size <n>                          rows per transaction (import, seed; default 1000),
                                            per page (export; default 500) or per INSERT
                                            (copy-to-postgres; default 500)
  --workers <n>                             threads that parse and validate rows (import, seed;
                                            default: cores - 1, at most 4; 0: the main thread)
  -h, --help                                this help

Export format: one customer per line as the GraphQL Customer type returns it (every field but
events and the verification link; secrets are never readable), plus the columns the API keeps to
itself that a copy of the customer needs: "organizationId" (the organization it belongs to),
"registrationAccount" (its onboarding login) and "statusBeforeDeactivation"/"statusBeforeArchive"
(where reactivation and restore go back to). jsonl: one JSON object per line. csv: a header, then
one row per customer; objects are flattened to dotted columns (person.firstName.name,
company.legalName, verification.status, ...), lists are JSON cells (tags, person.telephoneNumbers,
addresses, documents, notificationPreferences, memberships, wallets), empty cells are null. The
format is taken from --format, else from the file extension (.csv), else jsonl.

Import: each row is projected onto CreateCustomerInput (the fields createCustomer takes) and
validated and written exactly as createCustomer does, recording one CREATED event (actor "import",
channel IMPORT). The customer's state is kept as the row gives it: ids, createdAt/By/Via,
address and document ids, status, version, updatedAt/By/Via, archived and deactivated fields,
verification (status, level, updatedAt), document review (status, verificationResponse,
reviewedAt), preference times, data center, memberships and wallets; each is validated (enums,
ISO 8601 UTC times, consistent lifecycle fields, verification level 1-2 exactly when VERIFIED).
A row without them (a hand-written one with createCustomer's fields) starts as a created customer
does: status NEW, version 1, KYC started, documents PENDING. Only a customer that is NEW with
verification PENDING or REJECTED gets a verification session (a new link; links are never
exported). Not carried: secrets (passwords, PIN codes, secret questions, which need their
write-only answers) and two-factor targets (only their masked form is readable); an id or
registrationAccount that already exists fails the row with DUPLICATE.
  --org <org_id>       put every row in this organization instead of the row's organizationId
                       (its membership there becomes its membership in this one)
  --create-orgs        create the organizations rows belong to or are members of (same id, name,
                       legal name, country and data center, from the memberships) when they do
                       not exist; for a new database
  --error-policy       reject-all (default): any failed row and nothing is written (one
                       transaction); skip-failed: valid rows are written, failed ones reported
Errors go to stderr as "row N: CODE field.path: message" (row N: line N for jsonl, the Nth record
after the header for csv), then a summary; the exit code is 1 when any row failed.

Scopes: customers:read, customers:write, organizations:admin, webhooks:manage.`;

export async function main(argv: string[]): Promise<number> {
  let parsed: ReturnType<typeof parseCommandLine>;
  try {
    parsed = parseCommandLine(argv);
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\nRun with --help for usage.\n`);
    return 2;
  }
  const { values: options, positionals } = parsed;
  const [command, ...rest] = positionals;
  if (options.help || !command) {
    (options.help ? process.stdout : process.stderr).write(`${HELP}\n`);
    return options.help ? 0 : 2;
  }
  const withSub = command === "keys" || command === "orgs";
  const sub = withSub ? rest[0] : undefined;
  const commands: Record<string, true> = {
    migrate: true,
    keys: true,
    orgs: true,
    seed: true,
    export: true,
    import: true,
    backup: true,
    "copy-to-postgres": true,
  };
  if (!commands[command]) {
    process.stderr.write(`Unknown command: ${positionals.join(" ")}\n\nRun with --help for usage.\n`);
    return 2;
  }

  const cli = await openCli(options, withSub ? rest.slice(1) : rest);
  try {
    switch (command) {
      case "migrate":
        return migrate();
      case "keys":
        return await keys(cli, sub);
      case "orgs":
        return await orgs(cli, sub);
      case "seed":
        return await seed(cli);
      case "export":
        return await exportCustomers(cli);
      case "import":
        return await importCustomers(cli);
      case "copy-to-postgres":
        return await copyToPostgres(cli);
      default:
        return await backup(cli);
    }
  } catch (error) {
    if (error instanceof UserErrors) {
      for (const e of error.errors) process.stderr.write(`${e.code}${e.field ? ` ${e.field.join(".")}` : ""}: ${e.message}\n`);
      return 1;
    }
    if (error instanceof UsageError) {
      process.stderr.write(`${error.message}\n\nRun with --help for usage.\n`);
      return 2;
    }
    throw error;
  } finally {
    await cli.db.close();
  }
}
