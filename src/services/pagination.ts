// One pagination helper: Relay arguments to a keyset page request, and rows to a connection.
// Cursors carry the sort key and the id of an edge, so they stay valid while rows are added or
// removed around them.
import { sql, type SQL } from "drizzle-orm";
import type { ConnectionResult } from "../types/common.types";
import { AppError } from "./errors";

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

export interface PageArgs {
  first?: number | null;
  after?: string | null;
  last?: number | null;
  before?: string | null;
}

/** The arguments without the page ones (first, after, last, before): what selects the rows. */
export function withoutPage<A extends PageArgs>(args: A): Omit<A, keyof PageArgs> {
  const { first, after, last, before, ...rest } = args;
  void first; void after; void last; void before;
  return rest;
}

export interface PageRequest {
  /** Rows wanted, not counting the one extra row fetched to learn whether more follow. */
  limit: number;
  /** `last`/`before` pages are read in reverse and flipped back. */
  backward: boolean;
  after: CursorKey | null;
  before: CursorKey | null;
  /** Names what the cursor orders by, so a cursor from another ordering is refused. */
  ordering: string;
}

export type CursorKey = (string | number)[];

export function encodeCursor(ordering: string, key: CursorKey): string {
  return Buffer.from(JSON.stringify([ordering, ...key])).toString("base64url");
}

function decodeCursor(argument: string, cursor: string, ordering: string, keyLength: number): CursorKey {
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    decoded = null;
  }
  const valid =
    Array.isArray(decoded) &&
    decoded.length === keyLength + 1 &&
    decoded.every((v) => typeof v === "string" || typeof v === "number");
  if (!valid || !Array.isArray(decoded)) {
    throw new AppError("BAD_USER_INPUT", `\`${argument}\` is not a valid cursor.`, { argument });
  }
  if (decoded[0] !== ordering) {
    throw new AppError("BAD_USER_INPUT", `\`${argument}\` is a cursor of another ordering.`, { argument });
  }
  return decoded.slice(1) as CursorKey;
}

function pageSize(argument: string, value: number): number {
  if (value < 0) throw new AppError("BAD_USER_INPUT", `\`${argument}\` must not be negative.`, { argument });
  if (value > MAX_PAGE_SIZE) {
    throw new AppError("BAD_USER_INPUT", `\`${argument}\` must be at most ${MAX_PAGE_SIZE}.`, { argument });
  }
  return value;
}

export function pageRequest(args: PageArgs, ordering: string, keyLength: number): PageRequest {
  const hasFirst = args.first !== undefined && args.first !== null;
  const hasLast = args.last !== undefined && args.last !== null;
  if (hasFirst && hasLast) {
    throw new AppError("BAD_USER_INPUT", "Pass `first` or `last`, not both.", { argument: "last" });
  }
  const backward = hasLast || (!hasFirst && args.before != null && args.after == null);
  const limit = hasFirst
    ? pageSize("first", args.first as number)
    : hasLast
      ? pageSize("last", args.last as number)
      : DEFAULT_PAGE_SIZE;
  return {
    limit,
    backward,
    ordering,
    after: args.after ? decodeCursor("after", args.after, ordering, keyLength) : null,
    before: args.before ? decodeCursor("before", args.before, ordering, keyLength) : null,
  };
}

/**
 * Keyset conditions and ORDER BY for a page. `keys` are the sort expressions, the last of them
 * unique (the id); `descending` is the ordering's own direction.
 */
export function keyset(request: PageRequest, keys: SQL[], descending: boolean): { where: SQL[]; orderBy: SQL[] } {
  const tuple = sql.join(keys, sql`, `);
  const beyond = (key: CursorKey, later: boolean): SQL => {
    const values = sql.join(key.map((v) => sql`${v}`), sql`, `);
    const greater = later !== descending;
    return greater ? sql`(${tuple}) > (${values})` : sql`(${tuple}) < (${values})`;
  };
  const where: SQL[] = [];
  if (request.after) where.push(beyond(request.after, true));
  if (request.before) where.push(beyond(request.before, false));
  const ascending = descending === request.backward;
  const orderBy = keys.map((k) => (ascending ? sql`${k} asc` : sql`${k} desc`));
  return { where, orderBy };
}

/** A page's rows, with their cursors encoded when asked for (as classes: getters on a prototype cost nothing to create). */
class Page<R> {
  constructor(
    readonly rows: R[],
    readonly ordering: string,
    readonly cursorKey: (row: R) => CursorKey,
  ) {}

  cursor(i: number): string | null {
    return i >= 0 && i < this.rows.length ? encodeCursor(this.ordering, this.cursorKey(this.rows[i])) : null;
  }
}

class PageInfoOf<R> {
  constructor(
    readonly hasNextPage: boolean,
    readonly hasPreviousPage: boolean,
    private readonly page: Page<R>,
  ) {}

  get startCursor(): string | null {
    return this.page.cursor(0);
  }

  get endCursor(): string | null {
    return this.page.cursor(this.page.rows.length - 1);
  }
}

class Connection<R, T> implements ConnectionResult<T> {
  private edgeList?: { cursor: string; node: T }[];

  constructor(
    readonly nodes: T[],
    readonly pageInfo: PageInfoOf<R>,
    readonly totalCount: () => Promise<number>,
    private readonly page: Page<R>,
  ) {}

  get edges(): { cursor: string; node: T }[] {
    return (this.edgeList ??= this.nodes.map((node, i) => ({ cursor: this.page.cursor(i)!, node })));
  }
}

/**
 * Rows fetched with limit + 1, in page-read order, to a Relay connection of `nodeOf` each row.
 * Cursors are encoded when asked for: most pages are read for their nodes, or their end cursor.
 */
export function toConnection<R, T = R>(
  rows: R[],
  request: PageRequest,
  cursorKey: (row: R) => CursorKey,
  totalCount: () => Promise<number>,
  nodeOf: (row: R) => T = (row) => row as unknown as T,
): ConnectionResult<T> {
  const hasMore = rows.length > request.limit;
  const kept = hasMore ? rows.slice(0, request.limit) : rows.slice();
  if (request.backward) kept.reverse();
  const page = new Page(kept, request.ordering, cursorKey);
  const pageInfo = new PageInfoOf(
    request.backward ? request.before !== null : hasMore,
    request.backward ? hasMore : request.after !== null,
    page,
  );
  return new Connection(kept.map(nodeOf), pageInfo, totalCount, page);
}
