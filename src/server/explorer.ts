// The explorer: GraphiQL (GraphQL Yoga's build of it, with the query builder, docs, history and a
// headers editor) for browsers that open /graphql, served by this server from node_modules so
// that it needs nothing but this server: no CDN, no font service. The page opens with example
// operations (./explorer/examples.ts), runs subscriptions over graphql-ws on the same URL, and in
// development sends the development API key, which is why it is then shown to this machine only.
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import zlib from "node:zlib";
import express, { type Request, type RequestHandler, type Router } from "express";
import type { Config } from "../config";
import type { Logger } from "../lib/logger";
import { EXAMPLE_OPERATIONS } from "./explorer/examples";

const TITLE = "Customer Graph";
const gzip = promisify(zlib.gzip);

/**
 * Starts GraphiQL in the page (the UMD bundle defines window.YogaGraphiQL). Options come from the
 * page's JSON block, so that no inline script runs and the page's CSP can forbid them. Loaded
 * before the bundle, since Monaco reads its environment as it loads; renders once both are in.
 */
const START_SCRIPT = `"use strict";
(function () {
  var options = JSON.parse(document.getElementById("explorer-options").textContent);
  // Monaco's workers, from this server (by default Monaco would want them beside the bundle), and
  // its API as window.monaco, to read the headers editor below.
  var workers = { editorWorkerService: "editor.worker.js", json: "json.worker.js", graphql: "graphql.worker.js" };
  self.MonacoEnvironment = {
    globalAPI: true,
    getWorkerUrl: function (_moduleId, label) { return options.assets + (workers[label] || workers.editorWorkerService); },
  };
  // An Authorization header in the headers editor wins over the development key, over HTTP and
  // over the WebSocket (whose connectionParams GraphiQL does not fill from the editor).
  function authorizationIn(headers) {
    if (typeof headers === "string") {
      try { headers = JSON.parse(headers || "{}"); } catch (e) { return null; }
    }
    if (!headers || typeof headers !== "object") return null;
    for (var name in headers) if (name.toLowerCase() === "authorization" && headers[name]) return String(headers[name]);
    return null;
  }
  function headersEditorText() {
    var models = self.monaco ? self.monaco.editor.getModels() : [];
    for (var i = 0; i < models.length; i++) if (/request-headers\.json$/.test(models[i].uri.path)) return models[i].getValue();
    return "";
  }
  var developmentAuthorization = options.developmentKey ? "Bearer " + options.developmentKey : null;
  document.addEventListener("DOMContentLoaded", function () {
    YogaGraphiQL.renderYogaGraphiQL(document.getElementById("explorer"), {
      title: options.title,
      subscriptionsProtocol: "WS",
      defaultTabs: options.tabs,
      query: options.tabs[0].query,
      variables: options.tabs[0].variables,
      additionalHeaders: function (request) {
        var typed = request && request.extensions && request.extensions.headers;
        return developmentAuthorization && !authorizationIn(typed) ? { Authorization: developmentAuthorization } : {};
      },
      connectionParams: function () {
        var authorization = authorizationIn(headersEditorText()) || developmentAuthorization;
        return authorization ? { authorization: authorization } : {};
      },
    });
  });
})();
`;

// Yoga's GraphiQL passes plugins: [explorer], which replaces GraphiQL's default [history] (the
// history plugin is not exported either): the served bundle gets the history plugin back.
function withHistoryPlugin(source: string, logger: Logger): string {
  const history = /(?:const|let|var) ([\w$]+)=\{title:"History",icon:/.exec(source)?.[1];
  const plugins = /plugins:\[([\w$]+)\],schemaDescription:/;
  if (!history || !plugins.test(source)) {
    logger.warn("explorer: this GraphiQL build is not the one expected; it is served without the history panel");
    return source;
  }
  return source.replace(plugins, (_match, explorer: string) => `plugins:[${explorer},${history}],schemaDescription:`);
}

interface Asset {
  type: string;
  load(): string | Buffer;
}

/** The files the page loads, by the name it loads them under. */
function assetsOf(logger: Logger): Map<string, Asset> {
  const dist = path.dirname(require.resolve("@graphql-yoga/graphiql"));
  const file = (relative: string) => () => fs.readFileSync(path.join(dist, relative));
  const js = "text/javascript; charset=utf-8";
  return new Map<string, Asset>([
    ["graphiql.js", { type: js, load: () => withHistoryPlugin(fs.readFileSync(path.join(dist, "yoga-graphiql.umd.js"), "utf8"), logger) }],
    ["graphiql.css", { type: "text/css; charset=utf-8", load: file("graphiql.css") }],
    ["editor.worker.js", { type: js, load: file("monacoeditorwork/editor.worker.bundle.js") }],
    ["json.worker.js", { type: js, load: file("monacoeditorwork/json.worker.bundle.js") }],
    // Sic: the file has two dots in the published package.
    ["graphql.worker.js", { type: js, load: file("monacoeditorwork/graphql.worker..bundle.js") }],
    ["start.js", { type: js, load: () => START_SCRIPT }],
  ]);
}

/**
 * A path that changes whenever what is served under it may change, so it can be cached for good:
 * the package's version, and a hash of what this file adds (the start script, the patch).
 */
function assetVersion(): string {
  const pkg = JSON.parse(fs.readFileSync(require.resolve("@graphql-yoga/graphiql/package.json"), "utf8")) as { version: string };
  const local = createHash("sha256").update(START_SCRIPT).update(withHistoryPlugin.toString()).digest("hex").slice(0, 10);
  return `${pkg.version}-${local}`;
}

// Everything a page can reach: this server, and data: URLs (GraphiQL's fonts and icons are inlined).
const PAGE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  // React and Monaco set inline styles.
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  // 'self' covers the WebSocket on the same host and port.
  "connect-src 'self'",
  "worker-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

/** JSON that can sit inside a <script> element. */
const scriptJson = (value: unknown) => JSON.stringify(value).replace(/</g, "\\u003c");
const escapeHtml = (text: string) => text.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);

function renderPage(assets: string, developmentKey: string | null): string {
  const options = {
    title: TITLE,
    assets,
    developmentKey,
    tabs: EXAMPLE_OPERATIONS.map((e) => ({ query: e.query, variables: JSON.stringify(e.variables, null, 2) })),
  };
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(TITLE)} · explorer</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${assets}graphiql.css">
<style>html, body, #explorer { height: 100%; margin: 0; }</style>
<script type="application/json" id="explorer-options">${scriptJson(options)}</script>
<script defer src="${assets}start.js"></script>
<script defer src="${assets}graphiql.js"></script>
</head>
<body>
<div id="explorer">Loading the explorer…</div>
<noscript>The explorer needs JavaScript. The API itself answers POST and GET on this URL.</noscript>
</body>
</html>
`;
}

const isLoopback = (req: Request) => /^(::1|127\.|::ffff:127\.)/.test(req.socket.remoteAddress ?? "");

/** Whether a GET /graphql is a browser navigation that wants the page rather than a GraphQL result. */
function wantsExplorerPage(req: Request): boolean {
  return req.method === "GET" && req.accepts(["application/json", "application/graphql-response+json", "text/html"]) === "text/html";
}

/**
 * The page on GET /graphql for browsers, and its files under /graphql/explorer/<version>/, when
 * EXPLORER is on. With a development key the page is served to loopback addresses only.
 */
export function explorerRoutes(options: { config: Config; logger: Logger; developmentKey: () => string | null }): Router {
  const router = express.Router();
  if (!options.config.EXPLORER) return router;
  const { logger, developmentKey } = options;
  const base = `/graphql/explorer/${assetVersion()}/`;
  const assets = assetsOf(logger);
  // Read (and compressed) on first use, then kept: the bundle is 5 MB, 1.4 MB gzipped.
  const loaded = new Map<string, Promise<{ body: Buffer; gzipped: Buffer }>>();
  const load = (name: string, asset: Asset) => {
    let entry = loaded.get(name);
    if (!entry) {
      entry = (async () => {
        const content = asset.load();
        const body = Buffer.isBuffer(content) ? content : Buffer.from(content);
        return { body, gzipped: await gzip(body) };
      })();
      entry.catch(() => loaded.delete(name));
      loaded.set(name, entry);
    }
    return entry;
  };

  // Middleware rather than routes: an express router answers OPTIONS for its routes itself, and
  // preflights for /graphql are CORS's to answer.
  router.use("/graphql/explorer", (async (req, res, next) => {
    if (req.method !== "GET" && req.method !== "HEAD") return next();
    const name = req.path.slice(1).split("/").pop() ?? "";
    const asset = assets.get(name);
    if (!asset || `/graphql/explorer${req.path.slice(0, -name.length)}` !== base) return void res.status(404).type("text/plain").send("Not found\n");
    try {
      const { body, gzipped } = await load(name, asset);
      const useGzip = req.acceptsEncodings(["gzip", "identity"]) === "gzip";
      res.setHeader("Content-Type", asset.type);
      res.setHeader("Cache-Control", "public, max-age=31536000, immutable");
      res.setHeader("X-Content-Type-Options", "nosniff");
      res.vary("Accept-Encoding");
      if (useGzip) res.setHeader("Content-Encoding", "gzip");
      res.end(useGzip ? gzipped : body);
    } catch (error) {
      next(error);
    }
  }) satisfies RequestHandler);

  router.use("/graphql", (req, res, next) => {
    if (req.path !== "/" || !wantsExplorerPage(req)) return next();
    const key = developmentKey();
    if (key && !isLoopback(req)) return void res.status(403).type("text/plain").send("The explorer is served to localhost only.\n");
    res.setHeader("Content-Security-Policy", PAGE_CSP);
    res.setHeader("X-Content-Type-Options", "nosniff");
    res.setHeader("Referrer-Policy", "no-referrer");
    // The page may carry the development key.
    res.setHeader("Cache-Control", "no-store");
    res.type("html").send(renderPage(base, key));
  });
  return router;
}
