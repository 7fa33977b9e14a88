// Limits on the shape of a document, checked before execution: tokens (before parsing), and
// depth, aliases and directives per operation (validation rules).
import { maxAliasesRule } from "@escape.tech/graphql-armor-max-aliases";
import { maxDepthRule } from "@escape.tech/graphql-armor-max-depth";
import {
  GraphQLError,
  Kind,
  Lexer,
  Source,
  TokenKind,
  type ASTVisitor,
  type FragmentDefinitionNode,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValidationContext,
  type ValidationRule,
} from "graphql";
import type { Config } from "../../config";
import { LimitError, type LimitCode } from "./errors";

/**
 * Tokens in the documents, read only up to one past `limit`: a document over the limit is
 * refused without reading the rest (lexing a 1 MB document to the end takes over 100 ms).
 * Counts as graphql-js's parse `maxTokens` does (comments are not tokens). A lexing error stops
 * the count: the parser reports it.
 */
export function countTokens(documents: readonly string[], limit: number): number {
  let count = 0;
  for (const document of documents) {
    const lexer = new Lexer(new Source(document));
    try {
      while (count <= limit && lexer.advance().kind !== TokenKind.EOF) count++;
    } catch (error) {
      if (!(error instanceof GraphQLError)) throw error;
    }
    if (count > limit) break;
  }
  return count;
}

/** TOO_MANY_TOKENS when the documents (all of a batch's together) have more than MAX_TOKENS. */
export function tokenLimitError(config: Config, documents: readonly string[]): LimitError | undefined {
  const limit = config.MAX_TOKENS;
  if (countTokens(documents, limit) <= limit) return undefined;
  const what = documents.length > 1 ? "The request's documents have" : "The document has";
  // The actual count is not known: reading on is the work this limit exists to avoid.
  return new LimitError("TOO_MANY_TOKENS", `${what} more than ${limit} tokens.`, { limit });
}

/**
 * A rule that counts something per operation and reports `code` with the limit and the count.
 * `counter` builds the visitor that calls `report` once per operation, in document order.
 */
function perOperationLimit(
  code: LimitCode,
  limit: number,
  describe: (actual: number, limit: number, operation: string) => string,
  counter: (context: ValidationContext, report: (actual: number) => void) => ASTVisitor,
): ValidationRule {
  return (context) => {
    const operations = context
      .getDocument()
      .definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
    let index = 0;
    return counter(context, (actual) => {
      const operation = operations[index++];
      if (actual <= limit) return;
      const name = operation?.name ? `Operation \`${operation.name.value}\`` : "The operation";
      context.reportError(new LimitError(code, describe(actual, limit, name), { limit, actual }, { nodes: operation }));
    });
  };
}

/**
 * graphql-armor's counters, run without a limit of their own (n: Infinity): they count (each
 * fragment once per spread, cycles cut) and this file decides, so that the error carries our
 * code, the limit and the actual value. Armor's own refusal throws a plain "Syntax Error" out of
 * validate(), which Apollo would answer as a 500 INTERNAL_SERVER_ERROR.
 */
const depthRule = (limit: number) =>
  perOperationLimit(
    "QUERY_TOO_DEEP",
    limit,
    (actual, max, op) => `${op} is nested ${actual} levels deep; the limit is ${max}.`,
    (context, report) =>
      maxDepthRule({
        n: Infinity,
        // Fragments are transparent: `{ a { ...F } }` is as deep as the fields it spreads.
        flattenFragments: true,
        ignoreIntrospection: true,
        onAccept: [(_ctx, details: { n: number }) => report(details.n)],
      })(context),
  );

const aliasesRule = (limit: number) =>
  perOperationLimit(
    "TOO_MANY_ALIASES",
    limit,
    (actual, max, op) => `${op} has ${actual} aliases; the limit is ${max}.`,
    (context, report) =>
      maxAliasesRule({
        n: Infinity,
        onAccept: [(_ctx, details: { n: number }) => report(details.n)],
      })(context),
  );

/**
 * Directives per operation, fragments counted once per spread. Written here: graphql-armor's
 * max-directives (2.3.1) counts a repeated spread's own directives only once
 * (`...F @include(if: $a) ...F @include(if: $a)` counts 1), which lets the limit be bypassed.
 */
const directivesRule = (limit: number) =>
  perOperationLimit(
    "TOO_MANY_DIRECTIVES",
    limit,
    (actual, max, op) => `${op} has ${actual} directives; the limit is ${max}.`,
    (context, report) => {
      const inFragments = new Map<string, number>();
      const visiting = new Set<string>();
      const fragmentCount = (fragment: FragmentDefinitionNode): number => {
        const name = fragment.name.value;
        const known = inFragments.get(name);
        if (known !== undefined) return known;
        if (visiting.has(name)) return 0; // a cycle: NoFragmentCyclesRule reports it
        visiting.add(name);
        const n = (fragment.directives?.length ?? 0) + selectionCount(fragment.selectionSet);
        visiting.delete(name);
        inFragments.set(name, n);
        return n;
      };
      const selectionCount = (selectionSet: SelectionSetNode | undefined): number => {
        let n = 0;
        for (const selection of selectionSet?.selections ?? []) {
          n += selection.directives?.length ?? 0;
          if (selection.kind === Kind.FRAGMENT_SPREAD) {
            const fragment = context.getFragment(selection.name.value);
            if (fragment) n += fragmentCount(fragment);
          } else {
            n += selectionCount(selection.selectionSet);
          }
        }
        return n;
      };
      return {
        OperationDefinition(operation) {
          const onVariables = (operation.variableDefinitions ?? []).reduce((n, v) => n + (v.directives?.length ?? 0), 0);
          report((operation.directives?.length ?? 0) + onVariables + selectionCount(operation.selectionSet));
          return false;
        },
      };
    },
  );

/** Depth, aliases and directives per operation; every operation of a document is checked. */
export function documentLimitRules(config: Config): ValidationRule[] {
  return [depthRule(config.MAX_QUERY_DEPTH), aliasesRule(config.MAX_ALIASES), directivesRule(config.MAX_DIRECTIVES)];
}
