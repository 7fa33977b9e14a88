import { createLoaders } from "../loaders";
import { UserErrors, type UserErrorData } from "../services/errors";
import type { Context } from "./context";

/**
 * Runs a service call for a mutation: expected failures become the payload's userErrors. Each
 * mutation starts with fresh loaders, so that its payload reads what it has just committed even
 * when an earlier field of the same document loaded the same rows.
 */
export async function payload<T extends object>(
  ctx: Context,
  run: () => Promise<T>,
): Promise<Partial<T> & { userErrors: UserErrorData[] }> {
  ctx.loaders = createLoaders(ctx.db.read, ctx.access);
  if (ctx.idempotencyConflict) {
    const conflict: UserErrorData = {
      code: "IDEMPOTENCY_CONFLICT",
      field: null,
      message: "This Idempotency-Key was used before with a different request; nothing was run.",
    };
    return { userErrors: [conflict] } as Partial<T> & { userErrors: UserErrorData[] };
  }
  try {
    // A service may report its own userErrors alongside data (onboarding's statuses do).
    return { userErrors: [], ...(await run()) };
  } catch (error) {
    if (error instanceof UserErrors) return { userErrors: error.errors } as Partial<T> & { userErrors: UserErrorData[] };
    throw error;
  }
}
