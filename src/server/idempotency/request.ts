// What identifies an idempotent request, and whether its response is final.
import { createHash } from "node:crypto";
import {
  Kind,
  type FormattedExecutionResult,
  type FragmentDefinitionNode,
  type DocumentNode,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from "graphql";

/** 1 to 255 printable ASCII characters (a UUID, a ULID, or the client's own request id). */
const KEY_PATTERN = /^[\x20-\x7e]{1,255}$/;

export function isValidKey(key: string): boolean {
  return KEY_PATTERN.test(key);
}

/**
 * The record key: the client's key within its caller, so that two credentials never share a
 * key. JSON keeps the pair unambiguous whatever characters either part holds.
 */
export function scopedKey(principalId: string, key: string): string {
  return JSON.stringify([principalId, key]);
}

/**
 * Hash of what the request asks for: its document, operation name and variables. Variables are
 * compared as values: the order of an object's keys does not matter.
 */
export function requestHash(query: string, operationName: string | null | undefined, variables: Record<string, unknown> | undefined): string {
  return createHash("sha256")
    .update(canonicalJson([query, operationName ?? null, variables ?? {}]))
    .digest("hex");
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

/**
 * Whether an executed mutation may have changed something. False only when that is certain:
 * execution stopped before any field ran (bad variables), or the first root field's resolver
 * failed (its transaction rolled back; root payloads are non-null, so execution stopped there).
 * Anything else counts as an effect, including an unexpected error after an earlier root field
 * or inside a payload: a retry must not run the part that was already done.
 */
export function mayHaveTakenEffect(
  document: DocumentNode,
  operation: OperationDefinitionNode,
  result: FormattedExecutionResult,
): boolean {
  if (result.data != null) return true;
  const paths = (result.errors ?? []).flatMap((error) => (error.path ? [error.path] : []));
  if (paths.length === 0) return false;
  const first = firstRootField(operation.selectionSet, fragmentsOf(document));
  return !paths.every((path) => path.length === 1 && path[0] === first);
}

/**
 * The response key of the first root field the mutation executes. @skip/@include are not
 * evaluated: a field they skip is taken as run, which only ever makes the answer above more
 * cautious.
 */
function firstRootField(
  selectionSet: SelectionSetNode,
  fragments: Map<string, FragmentDefinitionNode>,
  seen = new Set<string>(),
): string | undefined {
  for (const selection of selectionSet.selections) {
    let found: string | undefined;
    if (selection.kind === Kind.FIELD) {
      // __typename has no effect.
      if (!selection.name.value.startsWith("__")) found = (selection.alias ?? selection.name).value;
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      found = firstRootField(selection.selectionSet, fragments, seen);
    } else if (!seen.has(selection.name.value)) {
      seen.add(selection.name.value);
      const fragment = fragments.get(selection.name.value);
      if (fragment) found = firstRootField(fragment.selectionSet, fragments, seen);
    }
    if (found !== undefined) return found;
  }
  return undefined;
}

function fragmentsOf(document: DocumentNode): Map<string, FragmentDefinitionNode> {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  return fragments;
}
