// Signed KYC provider reports: header `x-kyc-signature: t=<unix seconds>,v1=<hex>`, where v1 is
// the HMAC-SHA256 of "<t>.<raw body>" with the provider's secret. Several v1 entries may be given
// (for a secret rotation); one matching is enough. The timestamp bounds replays.
import { createHmac, timingSafeEqual } from "node:crypto";

export const KYC_SIGNATURE_HEADER = "x-kyc-signature";
/** How far the signed timestamp may be from our clock, either way. */
export const KYC_SIGNATURE_TOLERANCE_SECONDS = 5 * 60;

export function kycSignature(secret: string, timestamp: number, body: Buffer): string {
  return createHmac("sha256", secret).update(`${timestamp}.`).update(body).digest("hex");
}

export type SignatureCheck = "OK" | "MISSING" | "MALFORMED" | "MISMATCH" | "STALE";

export function checkKycSignature(
  header: string | undefined,
  body: Buffer,
  secret: string,
  nowSeconds: number = Math.floor(Date.now() / 1000),
): SignatureCheck {
  if (!header) return "MISSING";
  let timestamp: number | null = null;
  const signatures: Buffer[] = [];
  for (const part of header.split(",")) {
    const [key, value, ...rest] = part.trim().split("=");
    if (rest.length > 0 || value === undefined) return "MALFORMED";
    if (key === "t") {
      if (timestamp !== null || !/^\d{1,12}$/.test(value)) return "MALFORMED";
      timestamp = Number(value);
    } else if (key === "v1") {
      if (!/^[0-9a-f]{64}$/i.test(value)) return "MALFORMED";
      signatures.push(Buffer.from(value, "hex"));
    }
    // Other keys (future schemes) are ignored.
  }
  if (timestamp === null || signatures.length === 0) return "MALFORMED";
  const expected = Buffer.from(kycSignature(secret, timestamp, body), "hex");
  if (!signatures.some((s) => timingSafeEqual(s, expected))) return "MISMATCH";
  // Checked after the signature, so that a stale answer tells nothing to whoever lacks the secret.
  if (Math.abs(nowSeconds - timestamp) > KYC_SIGNATURE_TOLERANCE_SECONDS) return "STALE";
  return "OK";
}
