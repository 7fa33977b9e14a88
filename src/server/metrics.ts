// Prometheus metrics (prom-client) on GET /metrics: GraphQL requests and their latency by
// operation, errors by code, WebSocket connections and active subscriptions, the webhook queue
// and delivery outcomes, and Node's process metrics. One registry per app, so that several apps
// in one process (the tests) do not share counters.
import type { ApolloServerPlugin } from "@apollo/server";
import { count, eq } from "drizzle-orm";
import express from "express";
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { Config } from "../config";
import type { Database } from "../db/client";
import { webhookDeliveries, webhookEndpoints } from "../db/schema";
import type { WebhookOutcome } from "../events/webhooks";
import type { Context } from "../resolvers/context";
import { sentErrorCodes } from "./request-log";

/** Operations counted at a time (see Metrics.pending). */
const BATCH = 1024;

interface Answered {
  operation: string;
  type: string;
  outcome: "ok" | "error";
  seconds: number;
}

/** Operation names are chosen by clients: only this many distinct ones get their own series. */
const MAX_OPERATION_LABELS = 200;
const OPERATION_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

export class Metrics {
  readonly registry = new Registry();
  private readonly operations = new Set<string>();
  private readonly sockets = new Set<{ subscriptions: Record<string, unknown> }>();

  /**
   * Operations answered but not yet counted: prom-client takes them in batches, before each scrape
   * and every BATCH operations. One at a time, between requests, its bookkeeping cost a small read
   * about 5% of its time; in a batch its code and data stay warm.
   */
  private pending: Answered[] = [];
  private readonly requests = new Counter({
    name: "graphql_requests_total",
    help: "GraphQL operations answered, by operation name, type and outcome (ok or error).",
    labelNames: ["operation", "type", "outcome"] as const,
    registers: [this.registry],
    collect: () => this.flush(),
  });
  private readonly duration = new Histogram({
    name: "graphql_request_duration_seconds",
    help: "Time from receiving a GraphQL operation to sending its response, by operation name and type.",
    labelNames: ["operation", "type"] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
    collect: () => this.flush(),
  });
  private readonly errors = new Counter({
    name: "graphql_errors_total",
    help: "Errors sent to clients over HTTP, by error code (extensions.code); a response with two errors counts two.",
    labelNames: ["code"] as const,
    registers: [this.registry],
  });
  private readonly webhookAttempts = new Counter({
    name: "webhook_delivery_attempts_total",
    help: "Webhook delivery attempts by outcome: delivered, retrying (failed, will retry) or failed (gave up).",
    labelNames: ["outcome"] as const,
    registers: [this.registry],
  });

  constructor(db: Database) {
    const sockets = this.sockets;
    new Gauge({
      name: "graphql_ws_connections",
      help: "Open graphql-ws connections.",
      registers: [this.registry],
      collect() {
        this.set(sockets.size);
      },
    });
    new Gauge({
      name: "graphql_active_subscriptions",
      help: "Subscriptions running on open graphql-ws connections.",
      registers: [this.registry],
      collect() {
        let n = 0;
        for (const socket of sockets) n += Object.keys(socket.subscriptions).length;
        this.set(n);
      },
    });
    new Gauge({
      name: "webhook_queue_depth",
      help: "Webhook deliveries waiting to be sent (pending, including those waiting for a retry).",
      registers: [this.registry],
      async collect() {
        const [{ n }] = await db.read.select({ n: count() }).from(webhookDeliveries).where(eq(webhookDeliveries.status, "PENDING"));
        this.set(n);
      },
    });
    new Gauge({
      name: "webhook_endpoints_disabled",
      help: "Webhook endpoints disabled (by their owner or after repeated failures).",
      registers: [this.registry],
      async collect() {
        const [{ n }] = await db.read.select({ n: count() }).from(webhookEndpoints).where(eq(webhookEndpoints.enabled, false));
        this.set(n);
      },
    });
    collectDefaultMetrics({ register: this.registry });
  }

  /** Counts one webhook delivery attempt. */
  webhookAttempt(outcome: WebhookOutcome): void {
    this.webhookAttempts.inc({ outcome });
  }

  /** Tracks a graphql-ws connection (its `subscriptions` record) until `closed` is called. */
  socketOpened(socket: { subscriptions: Record<string, unknown> }): () => void {
    this.sockets.add(socket);
    return () => this.sockets.delete(socket);
  }

  private operationLabel(name: string | null | undefined): string {
    if (!name) return "anonymous";
    if (!OPERATION_NAME.test(name)) return "other";
    if (this.operations.has(name)) return name;
    if (this.operations.size >= MAX_OPERATION_LABELS) return "other";
    this.operations.add(name);
    return name;
  }

  /** Starts timing an HTTP GraphQL operation; the returned function records its outcome and error codes. */
  operationStarted(): (operationName: string | null | undefined, type: string | undefined, errorCodes: readonly string[]) => void {
    const started = process.hrtime.bigint();
    return (operationName, type, codes) => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      this.pending.push({ operation: this.operationLabel(operationName), type: type ?? "unknown", outcome: codes.length ? "error" : "ok", seconds });
      for (const code of codes) this.errors.inc({ code });
      if (this.pending.length >= BATCH) this.flush();
    };
  }

  /** Hands the pending operations to prom-client. */
  private flush(): void {
    const answered = this.pending;
    this.pending = [];
    for (const { operation, type, outcome, seconds } of answered) {
      this.duration.observe({ operation, type }, seconds);
      this.requests.inc({ operation, type, outcome });
    }
  }

  /** Times every HTTP GraphQL operation Apollo answers and counts its outcome and error codes. */
  plugin(): ApolloServerPlugin<Context> {
    return {
      requestDidStart: async () => {
        const answered = this.operationStarted();
        return {
          willSendResponse: async ({ request, response, operation, operationName }) => {
            answered(operationName ?? request.operationName, operation?.operation, sentErrorCodes(response));
          },
        };
      },
    };
  }

  /** GET /metrics, in Prometheus' text format; behind a bearer token when METRICS_TOKEN is set. */
  routes(config: Config): express.Router {
    const router = express.Router();
    router.get("/metrics", async (req, res) => {
      if (config.METRICS_TOKEN && req.headers.authorization !== `Bearer ${config.METRICS_TOKEN}`) {
        res.status(401).type("text/plain").send("A bearer token (METRICS_TOKEN) is required.\n");
        return;
      }
      res.type(this.registry.contentType).send(await this.registry.metrics());
    });
    return router;
  }
}
