// Domain errors. Expected failures are UserErrors returned as data; the rest are AppErrors that
// the one error map (src/server/errors.ts) turns into GraphQL errors with extensions.code.
import type { UserErrorCode } from "../types/enums";

export interface UserErrorData {
  code: UserErrorCode;
  field: string[] | null;
  message: string;
}

/** Thrown inside a mutation's service call: the transaction rolls back and the payload carries the errors. */
export class UserErrors extends Error {
  constructor(readonly errors: UserErrorData[]) {
    super(errors.map((e) => e.message).join("; "));
    this.name = "UserErrors";
  }

  static of(code: UserErrorCode, field: string[] | null, message: string): UserErrors {
    return new UserErrors([{ code, field, message }]);
  }
}

export type AppErrorCode =
  | "BAD_USER_INPUT"
  | "UNAUTHENTICATED"
  | "FORBIDDEN"
  | "RATE_LIMITED"
  | "INTERNAL_SERVER_ERROR";

/** A request-level failure the client is meant to see, with its code. */
export class AppError extends Error {
  constructor(
    readonly code: AppErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = "AppError";
  }
}
