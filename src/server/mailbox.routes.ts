// GET /dev/mailbox: messages the development notifier "sent". (Being written.)
import { Router } from "express";
import type { AppDeps } from "./context";

export function mailboxRoutes(_deps: AppDeps): Router {
  return Router();
}
