// GET /dev/mailbox: the messages the development notifier "sent" (two-factor codes, links), newest
// last, so that a client under development can read them. Never mounted in production.
import { Router } from "express";
import type { AppDeps } from "./context";

const LOOPBACK = new Set(["127.0.0.1", "::1", "::ffff:127.0.0.1"]);

export function mailboxRoutes(deps: AppDeps): Router {
  const router = Router();
  const mailbox = deps.mailbox;
  if (!mailbox) return router;
  router.get("/dev/mailbox", (req, res) => {
    // The contract offers it on localhost only: it holds live codes.
    if (!LOOPBACK.has(req.socket.remoteAddress ?? "")) {
      res.status(403).json({ error: "The development mailbox is served to localhost only." });
      return;
    }
    res.set("Cache-Control", "no-store");
    res.json(mailbox.list().map(({ to, channel, subject, body, sentAt }) => ({ to, channel, subject, body, sentAt })));
  });
  return router;
}
