// GET /verify/<token>: the built-in KYC page; POST /hooks/kyc/<provider>: signed provider reports.
import express, { Router, type NextFunction, type Request, type Response } from "express";
import type { Actor } from "../services/actor";
import { UserErrors } from "../services/errors";
import { checkKycSignature, KYC_SIGNATURE_HEADER } from "../services/verification/signature";
import type { AppDeps } from "./context";
import { renderErrorPage, renderNotFoundPage, renderSessionPage } from "./verification.page";

/** The page is reached through a secret link: it is never cached, indexed, framed or leaked as a referrer. */
function sendPage(res: Response, status: number, html: string): void {
  res
    .status(status)
    .set({
      "content-type": "text/html; charset=utf-8",
      "cache-control": "no-store",
      "referrer-policy": "no-referrer",
      "x-content-type-options": "nosniff",
      "x-robots-tag": "noindex",
      "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
    })
    .send(html);
}

/** HTTP status of a refused report: the provider should fix its request, or stop retrying it. */
function statusOf(error: UserErrors): number {
  const code = error.errors[0]?.code;
  if (code === "NO_CHANGES") return 200;
  if (code === "INVALID") return 400;
  return 422;
}

export function verificationRoutes(deps: AppDeps): Router {
  const router = Router();
  const verification = deps.services.verification;

  router.get("/verify/:token", async (req, res) => {
    try {
      const view = await verification.sessionView(req.params.token);
      if (view) sendPage(res, 200, renderSessionPage(view));
      else sendPage(res, 404, renderNotFoundPage());
    } catch (err) {
      deps.logger.error({ err }, "verification page failed");
      sendPage(res, 500, renderErrorPage());
    }
  });

  // The raw body, exactly as signed; only this path parses it so.
  router.post("/hooks/kyc/:provider", express.raw({ type: () => true, limit: "64kb" }), async (req, res) => {
    const provider = req.params.provider;
    const secrets = deps.config.KYC_WEBHOOK_SECRETS;
    if (!Object.hasOwn(secrets, provider)) {
      res.status(404).json({ error: `Unknown KYC provider "${provider}".` });
      return;
    }
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const check = checkKycSignature(req.get(KYC_SIGNATURE_HEADER), body, secrets[provider]);
    if (check !== "OK") {
      const why = check === "STALE" ? "timestamp is more than 5 minutes away" : `signature ${check.toLowerCase()}`;
      res.status(401).json({ error: `Refused: ${why}.` });
      return;
    }
    let report: unknown;
    try {
      report = JSON.parse(body.toString("utf8"));
    } catch {
      res.status(400).json({ error: "The body is not JSON." });
      return;
    }
    if (typeof report !== "object" || report === null || Array.isArray(report)) {
      res.status(400).json({ error: "The body must be a JSON object: { documentId, status, verificationResponse }." });
      return;
    }
    const actor: Actor = { name: `kyc:${provider}`, via: "SYSTEM", organizationId: null };
    try {
      const { document } = await verification.review(actor, report);
      res.json({ applied: true, document: { id: document.id, status: document.status } });
    } catch (error) {
      if (!(error instanceof UserErrors)) {
        deps.logger.error({ err: error, provider }, "KYC report failed");
        res.status(500).json({ error: "Internal error." });
        return;
      }
      const status = statusOf(error);
      res.status(status).json(status === 200 ? { applied: false, userErrors: error.errors } : { error: error.message, userErrors: error.errors });
    }
  });

  // Body-parser failures (too large, bad encoding) answer as JSON, not as express's default page.
  router.use("/hooks/kyc", (error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const status = typeof error === "object" && error !== null && "status" in error && typeof error.status === "number" ? error.status : 500;
    res.status(status >= 400 && status < 500 ? status : 500).json({ error: status === 413 ? "The body is too large." : "The body could not be read." });
  });

  return router;
}
