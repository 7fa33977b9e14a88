// Transport: Apollo Server on express for HTTP (POST and GET /graphql), graphql-ws on the same
// path for subscriptions, and the health endpoint.
import http from "node:http";
import express from "express";
import { ApolloServer } from "@apollo/server";
import { expressMiddleware } from "@as-integrations/express5";
import { ApolloServerPluginDrainHttpServer } from "@apollo/server/plugin/drainHttpServer";
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from "@apollo/server/plugin/disabled";
import { WebSocketServer } from "ws";
import { useServer } from "graphql-ws/use/ws";
import type { ExecutionResult, GraphQLSchema } from "graphql";
import { statementScope } from "../db/client";
import type { Context } from "../resolvers/context";
import type { Logger } from "../lib/logger";
import type { Config } from "../config";
import { createErrorFormatter } from "./errors";
import { createContextFactory, type AppDeps } from "./context";
import { mailboxRoutes } from "./mailbox.routes";
import { explorerRoutes } from "./explorer";
import { corsMiddleware, webSocketOriginCheck } from "./cors";
import { TrustedDocuments, persistedDocumentErrorExtensions, persistedDocumentsMiddleware, resolveSubscription } from "./persisted-documents";
import { CompiledOperations, jitGateway } from "./executor";
import { afterCommitWork, createFastPath } from "./fast-path";
import { requestLogPlugin } from "./request-log";
import { idempotencyPlugin } from "./idempotency";
import { limitErrorExtensions, limitsMiddleware, limitsPlugin, limitSubscription, limitValidationRules } from "./limits";
import { verificationRoutes } from "./verification.routes";
import { deliverTo, sharedSubscribe } from "./subscription-execution";

export interface RunningServer {
  httpServer: http.Server;
  url: string;
  close(): Promise<void>;
}

export async function startServer(options: {
  config: Config;
  schema: GraphQLSchema;
  deps: AppDeps;
  logger: Logger;
}): Promise<RunningServer> {
  const { config, schema, deps, logger } = options;
  const app = express();
  app.disable("x-powered-by");
  const contexts = createContextFactory(deps);
  const formatError = createErrorFormatter(logger);
  const formatNext = (result: ExecutionResult) =>
    result.errors ? { ...result, errors: result.errors.map((e) => formatError(e.toJSON(), e)) } : undefined;
  const operations = config.EXECUTOR === "jit" ? new CompiledOperations(schema) : null;
  // TRUSTED_DOCUMENTS changes what a document may be: those servers send everything through Apollo.
  const fastPath = config.HTTP_FAST_PATH && !config.TRUSTED_DOCUMENTS
    ? createFastPath({ config, schema, contextFor: contexts.contextFor, operations, formatError, logger, metrics: deps.metrics ?? null })
    : null;
  const httpServer = http.createServer(fastPath ? (req, res) => fastPath.handle(req, res, () => app(req, res)) : app);

  // Subscribe messages are held to the same size as HTTP bodies (ws allows 100 MiB by default).
  // Browsers send Origin on the upgrade: a page from an origin outside CORS_ORIGINS is refused.
  const originAllowed = webSocketOriginCheck(config);
  const wsServer = new WebSocketServer({
    server: httpServer,
    path: "/graphql",
    maxPayload: config.MAX_BODY_BYTES,
    verifyClient: ({ req }, done) => (originAllowed(req) ? done(true) : done(false, 403, "Origin not allowed")),
  });
  const trustedDocuments = TrustedDocuments.load(config, schema, logger);
  const checkSubscription = limitSubscription(config, schema);
  const wsCleanup = useServer<Record<string, unknown>, { auth?: Awaited<ReturnType<typeof contexts.authenticate>>; untrack?: () => void }>(
    {
      schema,
      // The connection authenticates once, with connectionParams.authorization; a connection
      // without a valid credential is closed (4403) before any subscription starts.
      onConnect: async (ctx) => {
        try {
          const authorization = ctx.connectionParams?.authorization;
          ctx.extra.auth = await contexts.authenticate({
            authorization: typeof authorization === "string" ? authorization : undefined,
            remoteAddress: ctx.extra.request.socket.remoteAddress,
          });
          ctx.extra.untrack = deps.metrics?.socketOpened(ctx);
          return true;
        } catch {
          return false;
        }
      },
      onClose: (ctx) => ctx.extra.untrack?.(),
      // Parses and validates with the query limits, and charges the credential's rate limit.
      // Trusted documents first (a documentId or hash becomes its document), then the limits.
      onSubscribe: (ctx, _id, payload) => {
        const resolved = resolveSubscription(trustedDocuments, payload);
        return "query" in resolved ? checkSubscription(resolved, ctx.extra.auth!.principal.id) : resolved;
      },
      // One context per subscription; its resolvers take fresh loaders for every event.
      // A live subscription's messages are written to its socket directly (subscription-execution.ts).
      context: async (ctx, id) => deliverTo(await contexts.contextOf(ctx.extra.auth!), { id, socket: ctx.extra.socket }),
      // Each event is executed once per group of subscribers that would get the same result.
      subscribe: sharedSubscribe({ format: formatNext }),
      // The same error map as over HTTP.
      onNext: (_ctx, _id, _payload, _args, result) => formatNext(result),
      // Only documents that do not parse, validate or fit the limits fail before execution; a
      // stream that fails once running (its error wraps the cause) goes through the error map.
      onError: (_ctx, _id, _payload, errors) =>
        errors.map((e) =>
          e.originalError
            ? formatError(e.toJSON(), e)
            : {
                message: e.message,
                locations: e.locations,
                extensions: limitErrorExtensions(e) ?? persistedDocumentErrorExtensions(e) ?? { code: "GRAPHQL_VALIDATION_FAILED" },
              },
        ),
    },
    wsServer,
  );

  const apollo = new ApolloServer<Context>({
    // graphql-jit compiles each distinct operation once (EXECUTOR=graphql-js runs graphql-js instead).
    ...(operations ? { gateway: jitGateway(schema, operations) } : { schema }),
    formatError,
    validationRules: limitValidationRules(config),
    // Arrays of operations in one POST; limitsMiddleware refuses more than MAX_BATCH_SIZE.
    allowBatchedHttpRequests: true,
    // limitsMiddleware already refuses documents over MAX_TOKENS; this is the parser's own guard.
    parseOptions: { maxTokens: config.MAX_TOKENS },
    includeStacktraceInErrorResponses: false,
    // src/index.ts owns signal handling, so that shutdown happens in one place.
    stopOnTerminationSignals: false,
    introspection: config.INTROSPECTION,
    // Without introspection, "Did you mean …?" suggestions would reveal the schema bit by bit.
    hideSchemaDetailsFromClientErrors: !config.INTROSPECTION,
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
      // Apollo's cache-control plugin wraps every resolver; this API sets no cache hints.
      ApolloServerPluginCacheControlDisabled(),
      // The explorer is GraphiQL, served by explorerRoutes; Apollo's own landing page loads from a CDN.
      ApolloServerPluginLandingPageDisabled(),
      limitsPlugin(config),
      // As on the fast path: a mutation is answered once its events have reached this instance's subscribers.
      {
        async requestDidStart() {
          return {
            async willSendResponse({ operation }) {
              if (operation?.operation === "mutation") await afterCommitWork();
            },
          };
        },
      },
      requestLogPlugin(logger),
      ...(deps.metrics ? [deps.metrics.plugin()] : []),
      idempotencyPlugin(deps),
      {
        async serverWillStart() {
          return {
            async drainServer() {
              await wsCleanup.dispose();
            },
          };
        },
      },
      {
        // Reports how many SQL statements the request ran, so that N+1 regressions show from outside.
        async requestDidStart() {
          return {
            async willSendResponse({ response }) {
              const scope = statementScope.getStore();
              if (scope && !config.production && response.body.kind === "single") {
                response.body.singleResult.extensions = {
                  ...response.body.singleResult.extensions,
                  sqlStatements: scope.sqlStatements,
                };
              }
            },
          };
        },
      },
    ],
  });
  await apollo.start();

  app.get("/healthz", (_req, res) => {
    res.json({ status: "ok" });
  });
  // Ready: the database answers and every migration in drizzle/ has been applied.
  app.get("/readyz", async (_req, res) => {
    try {
      const { pending } = await deps.db.migrationStatus();
      if (pending > 0) res.status(503).json({ status: "migrations pending", pending });
      else res.json({ status: "ready" });
    } catch {
      res.status(503).json({ status: "database unavailable" });
    }
  });
  if (deps.metrics) app.use(deps.metrics.routes(config));
  app.use(verificationRoutes(deps));
  // GraphiQL on GET /graphql for browsers, when EXPLORER is on (with the development key: to this machine only).
  app.use(explorerRoutes({ config, logger, developmentKey: () => deps.developmentKey?.() ?? null }));
  if (deps.mailbox) app.use(mailboxRoutes(deps));
  app.use(
    "/graphql",
    corsMiddleware(config),
    (_req, _res, next) => (config.SQL_STATEMENT_COUNTS ? statementScope.run({ sqlStatements: 0 }, next) : next()),
    limitsMiddleware(config),
    // TRUSTED_DOCUMENTS: documentId and listed hashes resolved, unlisted documents refused (enforce).
    ...(trustedDocuments ? [persistedDocumentsMiddleware(trustedDocuments)] : []),
    expressMiddleware(apollo, {
      context: ({ req }) => contexts.contextFor({ authorization: req.headers.authorization, remoteAddress: req.socket.remoteAddress }),
    }),
  );

  await new Promise<void>((resolve) => {
    if (config.HOST) httpServer.listen(config.PORT, config.HOST, resolve);
    else httpServer.listen(config.PORT, resolve);
  });
  const address = httpServer.address();
  const port = typeof address === "object" && address ? address.port : config.PORT;
  const url = `http://${config.HOST && config.HOST !== "0.0.0.0" && config.HOST !== "::" ? config.HOST : "localhost"}:${port}/graphql`;

  return {
    httpServer,
    url,
    async close() {
      fastPath?.stop();
      await apollo.stop();
    },
  };
}
