// Bootstrap only: config -> database -> schema -> HTTP + WebSocket -> listen.
import "reflect-metadata";
import { loadConfig, loadEnvFile } from "./config";
import { createLogger } from "./lib/logger";
import { startApp } from "./server/app";

async function main(): Promise<void> {
  const envFile = loadEnvFile();
  const config = loadConfig();
  const logger = createLogger(config.LOG_LEVEL);
  if (envFile) logger.info({ envFile }, `read settings from ${envFile}`);
  const app = await startApp(config, logger);
  if (app.seeded) logger.info("seeded the demo organization and a dozen customers");
  logger.info({ url: app.url }, `customer API ready at ${app.url}`);
  const stop = (signal: string) => {
    logger.info({ signal }, "shutting down");
    // In-flight requests and webhook deliveries get SHUTDOWN_TIMEOUT_MS; then the process exits anyway.
    setTimeout(() => {
      logger.error({ timeoutMs: config.SHUTDOWN_TIMEOUT_MS }, "shutdown timed out; exiting with work unfinished");
      process.exit(1);
    }, config.SHUTDOWN_TIMEOUT_MS).unref();
    app.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, "shutdown failed");
        process.exit(1);
      },
    );
  };
  process.once("SIGTERM", () => stop("SIGTERM"));
  process.once("SIGINT", () => stop("SIGINT"));
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
