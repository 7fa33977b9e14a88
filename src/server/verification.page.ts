// The built-in verification page: plain HTML, no scripts, no outside resources. Every value that
// comes from data is escaped.
import type { DocumentRow } from "../db/schema";
import type { RequirementView, SessionView } from "../services/verification.service";

const ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

const REQUIREMENT_TEXT: Record<RequirementView["requirement"], { title: string; hint: string }> = {
  IDENTITY: { title: "Proof of identity", hint: "A passport, national identity card (front), driving licence or residence permit." },
  COMPANY_REGISTRATION: { title: "Company registration", hint: "A recent extract from the company register." },
  PROOF_OF_ADDRESS: { title: "Proof of address", hint: "A recent utility bill or bank statement showing your address." },
};

const STATE_TEXT: Record<RequirementView["state"], string> = {
  DONE: "Done",
  IN_REVIEW: "Received, in review",
  NEEDED: "Still needed",
};

const DOCUMENT_STATUS_TEXT: Record<DocumentRow["status"], string> = {
  PENDING: "Received",
  UNDER_VERIFICATION: "Under review",
  VERIFIED: "Verified",
  REJECTED: "Rejected",
  EXPIRED: "Expired",
};

const VERIFICATION_TEXT: Record<SessionView["customer"]["verificationStatus"], string> = {
  UNVERIFIED: "Not started",
  PENDING: "In progress",
  VERIFIED: "Verified",
  REJECTED: "Rejected",
};

const STYLE = `
  body { font: 16px/1.5 system-ui, sans-serif; margin: 0; background: #f5f6f8; color: #1d2330; }
  main { max-width: 40rem; margin: 2rem auto; padding: 0 1rem; }
  section { background: #fff; border-radius: 8px; padding: 1rem 1.25rem; margin: 1rem 0; box-shadow: 0 1px 2px #0002; }
  h1 { font-size: 1.5rem; } h2 { font-size: 1.1rem; margin: 0; display: flex; justify-content: space-between; gap: 1rem; }
  .hint, .meta { color: #5b6475; font-size: .9rem; }
  .state { font-size: .85rem; padding: .1rem .6rem; border-radius: 1rem; white-space: nowrap; }
  .DONE, .VERIFIED { background: #dff5e3; } .IN_REVIEW, .PENDING, .UNDER_VERIFICATION { background: #fff3d6; }
  .NEEDED, .REJECTED, .EXPIRED { background: #fde2e1; }
  ul { padding-left: 1.2rem; } .reason { display: block; color: #8a1c17; }
`;

function layout(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
${body}
</main>
</body>
</html>
`;
}

function documentItem(d: DocumentRow): string {
  const reason = d.verificationResponse ? `<span class="reason">${escapeHtml(d.verificationResponse)}</span>` : "";
  const expiry = d.expiresAt ? ` <span class="meta">(valid until ${escapeHtml(d.expiresAt)})</span>` : "";
  return `<li>${escapeHtml(d.name)}${expiry} — <span class="state ${d.status}">${DOCUMENT_STATUS_TEXT[d.status]}</span>${reason}</li>`;
}

function documentList(docs: DocumentRow[]): string {
  return docs.length > 0 ? `<ul>${docs.map(documentItem).join("")}</ul>` : `<p class="meta">No document received yet.</p>`;
}

export function renderSessionPage(view: SessionView): string {
  const { customer } = view;
  const requirements = view.requirements
    .map((r) => {
      const text = REQUIREMENT_TEXT[r.requirement];
      return `<section>
<h2><span>${text.title}</span><span class="state ${r.state}">${STATE_TEXT[r.state]}</span></h2>
<p class="hint">${text.hint}</p>
${documentList(r.documents)}
</section>`;
    })
    .join("\n");
  const others = view.otherDocuments.length > 0 ? `<section><h2>Other documents</h2>${documentList(view.otherDocuments)}</section>` : "";
  return layout(
    "Identity verification",
    `<h1>Identity verification</h1>
<p>Hello ${escapeHtml(customer.displayName)}. Here is where your verification stands.</p>
<p>Status: <strong>${VERIFICATION_TEXT[customer.verificationStatus]}</strong> · level ${customer.verificationLevel} of 2</p>
${requirements}
${others}
<p class="meta">This link is personal and works until ${escapeHtml(view.expiresAt.replace("T", " ").slice(0, 16))} UTC.</p>`,
  );
}

export function renderNotFoundPage(): string {
  return layout(
    "Verification link not valid",
    `<h1>This verification link is not valid</h1>
<p>It may have expired or been replaced by a newer one. Please ask for a new link.</p>`,
  );
}

export function renderErrorPage(): string {
  return layout("Something went wrong", `<h1>Something went wrong</h1><p>Please try again in a moment.</p>`);
}
