// `npm run cli -- <command>`: manage the database that DATABASE_URL names. See src/cli/main.ts.
import "reflect-metadata";
import { main } from "./cli/main";

main(process.argv.slice(2)).then(
  // exitCode, not exit(): stdout may still be flushing an export into a pipe.
  (code) => (process.exitCode = code),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  },
);
