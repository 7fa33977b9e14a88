// GET /verify/<token>: the built-in KYC page; POST /hooks/kyc/<provider>: signed provider reports.
// (Being written.)
import { Router } from "express";
import type { AppDeps } from "./context";

export function verificationRoutes(_deps: AppDeps): Router {
  return Router();
}
