// Verification providers: where a customer is sent to complete KYC. The built-in one is this
// server's own page (GET /verify/<token>, reviewed by operators with reviewDocument); an external
// provider (OffBlocks' or Cyrexa's KYC partner) would return its portal's URL here and report its
// decisions to POST /hooks/kyc/<provider>.
import type { Links } from "../links";

export interface NewSession {
  id: string;
  customerId: string;
  /** The session's secret: whoever holds it may see the session's page. Only its hash is stored. */
  token: string;
  expiresAt: string;
}

export interface VerificationProvider {
  /** Recorded on the session. */
  readonly name: string;
  /** Where to send the customer for this session. */
  sessionUrl(session: NewSession): string;
}

export class BuiltInProvider implements VerificationProvider {
  readonly name = "builtin";

  constructor(private readonly links: Links) {}

  sessionUrl(session: NewSession): string {
    return this.links.to(`/verify/${session.token}`);
  }
}
