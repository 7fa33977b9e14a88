// The raw baselines behind plain node:http, in a process of their own as the API is:
//   POST /graphql   the benchmark's list, get and create documents (recognised by their text),
//                   answered from prepared statements with the same JSON as the API;
//   GET  /ws        a bare `ws` server: every socket that connects receives every broadcast;
//   POST /broadcast sends the request body, as is, to every socket.
// Environment: RAW_DATABASE (SQLite file), RAW_PORT, RAW_EXTENSIONS (JSON: per operation, the
// `extensions` the API appends to that document's answers — its cost report, a constant of the
// document — so that whole bodies compare), RAW_PUBLIC_URL.
import http from "node:http";
import Database from "better-sqlite3";
import { WebSocketServer, type WebSocket } from "ws";
import { OPERATIONS, type Operation } from "../queries";
import { createReadModel } from "./read-model";
import { createWriteModel } from "./write-model";

function open(file: string, readonly: boolean): Database.Database {
  const db = new Database(file, { readonly });
  if (!readonly) db.pragma("journal_mode = WAL");
  db.pragma("foreign_keys = ON");
  db.pragma("busy_timeout = 5000");
  db.pragma("synchronous = NORMAL");
  return db;
}

function main(): void {
  const file = process.env.RAW_DATABASE;
  if (!file) throw new Error("RAW_DATABASE is required");
  const extensions = JSON.parse(process.env.RAW_EXTENSIONS ?? "{}") as Partial<Record<Operation, unknown>>;
  const reads = createReadModel(open(file, true));
  const writes = createWriteModel(open(file, false), { publicUrl: process.env.RAW_PUBLIC_URL ?? "http://localhost", actor: "admin" });
  const handlers = new Map<string, { operation: Operation; run: (variables: any) => object }>([
    [OPERATIONS.list, { operation: "list", run: (v) => reads.list(v) }],
    [OPERATIONS.get, { operation: "get", run: (v) => reads.get(v) }],
    [OPERATIONS.create, { operation: "create", run: (v) => writes.create(v) }],
  ]);
  const sockets = new Set<WebSocket>();

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const raw = Buffer.concat(chunks);
      if (req.method === "POST" && req.url === "/broadcast") {
        for (const socket of sockets) socket.send(raw, { binary: false });
        res.writeHead(204).end();
        return;
      }
      if (req.method !== "POST" || req.url !== "/graphql") {
        res.writeHead(404).end();
        return;
      }
      try {
        const request = JSON.parse(raw.toString("utf8")) as { query: string; variables?: Record<string, unknown> };
        const handler = handlers.get(request.query);
        if (!handler) {
          res.writeHead(400, { "content-type": "application/json; charset=utf-8" }).end('{"errors":[{"message":"unknown document"}]}');
          return;
        }
        const extra = extensions[handler.operation];
        const data = handler.run(request.variables ?? {});
        // Apollo ends its JSON with a newline.
        const json = `${JSON.stringify(extra === undefined ? { data } : { data, extensions: extra })}\n`;
        res.writeHead(200, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(json) }).end(json);
      } catch (error) {
        res.writeHead(500, { "content-type": "text/plain" }).end(String(error));
      }
    });
  });
  const wss = new WebSocketServer({ server, path: "/ws" });
  wss.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  server.keepAliveTimeout = 60_000;
  server.listen(Number(process.env.RAW_PORT ?? 0), "127.0.0.1", () => {
    const address = server.address();
    console.log(JSON.stringify({ ready: typeof address === "object" && address ? address.port : null }));
  });
  process.on("SIGTERM", () => {
    for (const socket of sockets) socket.terminate();
    server.close(() => process.exit(0));
    setTimeout(() => process.exit(0), 2000).unref();
  });
}

main();
