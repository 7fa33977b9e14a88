// Shapes shared by every part of the graph: Node, UserError, NamedValue, Relay connections.
import { Field, ID, Int, InterfaceType, ObjectType, type ClassType } from "type-graphql";
import { idKind } from "../lib/ids";
import { UserErrorCode, ValueType } from "./enums";

const NODE_TYPE_NAMES = {
  customer: "Customer",
  organization: "Organization",
  address: "CustomerAddress",
  document: "Document",
  event: "CustomerEvent",
  webhook: "WebhookEndpoint",
} as const;

/** The GraphQL type of a Node, told by its id prefix. */
export function nodeTypeName(value: { id: string }): string | undefined {
  const kind = idKind(value.id);
  return kind && kind in NODE_TYPE_NAMES ? NODE_TYPE_NAMES[kind as keyof typeof NODE_TYPE_NAMES] : undefined;
}

@InterfaceType({
  description: "An object with a globally unique, type-prefixed id that `node(id:)` resolves.",
  resolveType: nodeTypeName,
})
export abstract class Node {
  @Field(() => ID, { description: "Opaque, globally unique, time-sortable id with a type prefix (`cus_`, `org_`, ...)." })
  id!: string;
}

@ObjectType({ simpleResolvers: true, description: "An expected failure of a mutation. The mutation changed nothing." })
export class UserError {
  @Field(() => UserErrorCode, { description: "Stable machine-readable code." })
  code!: UserErrorCode;

  @Field(() => [String], { nullable: true, description: "Path of the input field at fault, relative to `input`, e.g. [\"person\", \"email\"]." })
  field?: string[] | null;

  @Field(() => String, { description: "Human-readable explanation." })
  message!: string;
}

@ObjectType({ simpleResolvers: true, description: "A typed name/value pair." })
export class NamedValue {
  @Field(() => String, { description: "Name of the value." })
  name!: string;

  @Field(() => ValueType, { description: "How to interpret `value`." })
  type!: ValueType;

  @Field(() => String, { description: "The value, as a string." })
  value!: string;
}

@ObjectType({ simpleResolvers: true, description: "Relay page information." })
export class PageInfo {
  @Field(() => Boolean, { description: "Whether more items follow the last edge." })
  hasNextPage!: boolean;

  @Field(() => Boolean, { description: "Whether items precede the first edge." })
  hasPreviousPage!: boolean;

  @Field(() => String, { nullable: true, description: "Cursor of the first edge." })
  startCursor!: string | null;

  @Field(() => String, { nullable: true, description: "Cursor of the last edge." })
  endCursor!: string | null;
}

/** What a connection resolves to; `totalCount` runs only when selected. */
export interface ConnectionResult<T> {
  edges: { cursor: string; node: T }[];
  nodes: T[];
  pageInfo: PageInfo;
  totalCount: () => Promise<number>;
}

/** Relay connection and edge types for a node type. */
export function connectionTypes<T extends object>(nodeType: ClassType<T>, name: string, what: string) {
  @ObjectType(`${name}Edge`, { simpleResolvers: true, description: `One ${what} in a page, with its cursor.` })
  class Edge {
    @Field(() => String, { description: "Opaque cursor of this edge, for `after`/`before`." })
    cursor!: string;

    @Field(() => nodeType, { description: `The ${what}.` })
    node!: T;
  }

  @ObjectType(`${name}Connection`, { simpleResolvers: true, description: `A page of ${what}s.` })
  class Connection {
    @Field(() => [Edge], { description: "The edges of this page." })
    edges!: Edge[];

    @Field(() => [nodeType], { description: `The ${what}s of this page, without cursors.` })
    nodes!: T[];

    @Field(() => PageInfo, { description: "Where this page stands." })
    pageInfo!: PageInfo;

    @Field(() => Int, { description: `Number of ${what}s matching the arguments, over all pages.` })
    totalCount!: number;
  }

  return { Edge, Connection };
}
