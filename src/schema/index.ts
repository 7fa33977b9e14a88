// The executable schema, built once from the resolver classes. schema.graphql is its printout.
import "reflect-metadata";
import { GraphQLInterfaceType, GraphQLObjectType, GraphQLScalarType, GraphQLSchema, lexicographicSortSchema, printSchema } from "graphql";
import { buildSchemaSync, getMetadataStorage, type AuthChecker, type PubSub } from "type-graphql";
import type { Scope } from "../auth/principal";
import type { Context } from "../resolvers/context";
import { AppError } from "../services/errors";
import { nodeTypeName } from "../types/common.types";
import { AddressResolver } from "../resolvers/address.resolver";
import { ApiKeyResolver } from "../resolvers/api-key.resolver";
import { ExportResolver } from "../resolvers/export.resolver";
import { WebhookResolver } from "../resolvers/webhook.resolver";
import { CustomerResolver } from "../resolvers/customer.resolver";
import { DocumentResolver } from "../resolvers/document.resolver";
import { EventResolver } from "../resolvers/event.resolver";
import { MembershipResolver } from "../resolvers/membership.resolver";
import { NodeResolver } from "../resolvers/node.resolver";
import { OrganizationResolver } from "../resolvers/organization.resolver";
import { PersonResolver } from "../resolvers/person.resolver";
import { ViewerResolver } from "../resolvers/viewer.resolver";
import { LifecycleResolver } from "../resolvers/lifecycle.resolver";
import { TwoFactorResolver } from "../resolvers/two-factor.resolver";
import { VerificationResolver } from "../resolvers/verification.resolver";
import { WalletResolver } from "../resolvers/wallet.resolver";

// type-graphql wants a PubSub as soon as one subscription exists. Ours subscribe through the
// server's own event bus in the context (the `subscribe` option), so topic-based ones are refused.
const contextBusOnly: PubSub = {
  publish() {
    throw new Error("Publish through ctx.bus; topic-based subscriptions are not used.");
  },
  subscribe() {
    throw new Error("Subscribe through ctx.bus; topic-based subscriptions are not used.");
  },
};

/** `@Authorized("scope", …)`: the caller's credential must carry one of the scopes (else FORBIDDEN). */
function checkScopes(context: Context, scopes: readonly string[]): true {
  if (scopes.some((scope) => context.principal.scopes.includes(scope as Scope))) return true;
  throw new AppError("FORBIDDEN", `This operation needs the scope ${scopes.join(" or ")}.`, { requiredScopes: scopes });
}

const scopeChecker: AuthChecker<Context> = ({ context }, scopes) => checkScopes(context, scopes);

let built: GraphQLSchema | undefined;

const ROOT_DESCRIPTIONS = {
  query: "Reads: customers, organizations and any object by id.",
  mutation: "Writes. Each takes one `input` and returns a payload with `userErrors`; a mutation with userErrors changed nothing.",
  subscription: "Real-time streams over WebSocket (graphql-transport-ws protocol) on /graphql.",
} as const;

/** type-graphql gives root types no description; the explorer shows one for each. */
function describeRoots(schema: GraphQLSchema): GraphQLSchema {
  const config = schema.toConfig();
  const roots = new Map<GraphQLObjectType, GraphQLObjectType>();
  for (const kind of ["query", "mutation", "subscription"] as const) {
    const type = config[kind];
    if (type) roots.set(type, new GraphQLObjectType({ ...type.toConfig(), description: ROOT_DESCRIPTIONS[kind] }));
  }
  const described = (type: GraphQLObjectType | null | undefined) => (type ? roots.get(type) : undefined);
  return new GraphQLSchema({
    ...config,
    query: described(config.query),
    mutation: described(config.mutation),
    subscription: described(config.subscription),
    types: config.types.filter((t) => !(t instanceof GraphQLObjectType && roots.has(t))),
  });
}

/**
 * What graphql-jit needs beyond graphql-js. Connections carry `totalCount` as a function, so that
 * the count runs only when selected: graphql-js's default resolver calls such functions, jit reads
 * fields without a resolver as plain properties, so these get an explicit resolver. And jit needs
 * a synchronous resolveType, where type-graphql wraps ours in an async function.
 */
function forCompiledExecution(schema: GraphQLSchema): GraphQLSchema {
  for (const type of Object.values(schema.getTypeMap())) {
    if (type instanceof GraphQLInterfaceType && type.name === "Node") type.resolveType = nodeTypeName;
    if (!(type instanceof GraphQLObjectType) || !type.name.endsWith("Connection")) continue;
    const field = type.getFields().totalCount;
    if (field && !field.resolve) {
      field.resolve = (connection: { totalCount: number | (() => Promise<number>) }) =>
        typeof connection.totalCount === "function" ? connection.totalCount() : connection.totalCount;
    }
  }
  return schema;
}

type ResolverMethod = (...args: unknown[]) => unknown;
type Parameter = (root: unknown, args: Record<string, unknown>, context: Context) => unknown;

type Storage = ReturnType<typeof getMetadataStorage>;

/** The classes a class extends, itself first (up to, not including, Function.prototype). */
function classChain(target: unknown): Function[] {
  const chain: Function[] = [];
  for (let c = target; typeof c === "function" && c.prototype !== undefined; c = Object.getPrototypeOf(c)) chain.push(c);
  return chain;
}

/**
 * Whether a resolver may be given a value of this type as GraphQL coerced it. Scalars and enums
 * type-graphql passes as they are. Input objects it rebuilds as instances of their classes, which
 * is the same to a resolver when the classes hold nothing but fields: no methods, getters or field
 * initializers (no resolver here tests `instanceof` on an input), with fields of such types.
 */
function passedAsIs(storage: Storage, type: unknown, seen = new Set<unknown>()): boolean {
  if (type instanceof GraphQLScalarType || type === String || type === Number || type === Boolean) return true;
  if (storage.enums.some((e) => e.enumObj === type)) return true;
  if (seen.has(type)) return true;
  seen.add(type);
  const chain = classChain(type);
  if (chain.length === 0 || !storage.inputTypes.some((t) => t.target === type)) return false;
  if (chain.some((c) => Object.getOwnPropertyNames(c.prototype).some((name) => name !== "constructor"))) return false;
  if (Object.keys(new (type as new () => object)()).length > 0) return false;
  return chain.every((c) => (storage.inputTypes.find((t) => t.target === c)?.fields ?? []).every((field) => passedAsIs(storage, field.getType(), seen)));
}

/**
 * The fields of an `@ArgsType` class and its superclasses, when type-graphql would copy all of them
 * onto a new instance of the class as they come (see passedAsIs); else null.
 */
function plainArgsFields(storage: Storage, argsClass: unknown): string[] | null {
  const names: string[] = [];
  for (const target of classChain(argsClass)) {
    const type = storage.argumentTypes.find((t) => t.target === target);
    if (!type) continue;
    for (const field of type.fields ?? []) {
      if (!passedAsIs(storage, field.getType())) return null;
      names.push(field.name);
    }
  }
  return names.length > 0 ? names : null;
}

/**
 * How a resolver's parameter is read where type-graphql would give it unchanged, or changed in
 * form only (validation is off): the parent, the context, an argument (see passedAsIs), or an
 * `@Args` class of those, made as type-graphql makes it. Null for anything else.
 */
function plainParameter(storage: Storage, param: NonNullable<Storage["fieldResolvers"][number]["params"]>[number]): Parameter | null {
  if (param.kind === "root" && !param.propertyName && !param.getType) return (root) => root;
  if (param.kind === "context" && !param.propertyName) return (_root, _args, context) => context;
  if ((param.kind !== "arg" && param.kind !== "args") || param.validateFn || param.validateSettings !== undefined) return null;
  const type = param.getType();
  if (param.kind === "arg") {
    const name = param.name;
    return passedAsIs(storage, type) ? (_root, args) => args[name] : null;
  }
  const fields = plainArgsFields(storage, type);
  if (!fields) return null;
  const ArgsClass = type as new () => Record<string, unknown>;
  // As type-graphql's convertToType: a new instance, without its undefined fields that were not
  // given, with the given ones assigned.
  return (_root, args) => {
    const instance = new ArgsClass();
    for (const key of Object.keys(instance)) if (instance[key] === undefined && args[key] === undefined) delete instance[key];
    for (const name of fields) if (args[name] !== undefined) instance[name] = args[name];
    return instance;
  };
}

/**
 * type-graphql runs every resolver through a handler that builds its parameters anew at each call
 * (sorting them, finding the resolver instance, awaiting each argument's validation, entering the
 * middleware chain for `@Authorized`). A resolver whose parameters type-graphql passes through
 * unchanged (see plainParameter), with no middleware, is called directly instead with the same
 * values, after the same scope check: a customer read calls a dozen, a page of 50 about 400.
 */
function directResolvers(schema: GraphQLSchema): GraphQLSchema {
  const storage = getMetadataStorage();
  const instances = new Map<object, Record<string, ResolverMethod>>();
  const roots = [
    ...storage.queries.map((resolver) => ({ resolver, type: schema.getQueryType() })),
    ...storage.mutations.map((resolver) => ({ resolver, type: schema.getMutationType() })),
  ];
  const fields = storage.fieldResolvers
    .filter((resolver) => resolver.kind === "external")
    .map((resolver) => {
      const objectClass = resolver.getObjectType?.();
      const typeName = storage.objectTypes.find((o) => o.target === objectClass)?.name;
      return { resolver, type: typeName ? schema.getType(typeName) : undefined };
    });
  for (const { resolver, type } of [...roots, ...fields]) {
    if (resolver.middlewares?.length || !resolver.params) continue;
    const parameters = [...resolver.params].sort((a, b) => a.index - b.index).map((param) => plainParameter(storage, param));
    if (parameters.some((p) => p === null)) continue;
    const field = type instanceof GraphQLObjectType ? type.getFields()[resolver.schemaName] : undefined;
    if (!field) continue;
    const target = resolver.target as unknown as new () => Record<string, ResolverMethod>;
    let instance = instances.get(target);
    if (!instance) instances.set(target, (instance = new target()));
    const self = instance;
    const method = instance[resolver.methodName];
    const read = parameters as Parameter[];
    const roles = resolver.roles;
    field.resolve = (root, args, context: Context) => {
      if (roles) checkScopes(context, roles);
      const values = new Array<unknown>(read.length);
      for (let i = 0; i < read.length; i++) values[i] = read[i](root, args, context);
      return method.apply(self, values);
    };
  }
  return schema;
}

export function buildCustomerSchema(): GraphQLSchema {
  built ??= directResolvers(forCompiledExecution(describeRoots(buildSchemaSync({
    resolvers: [
      NodeResolver,
      ViewerResolver,
      CustomerResolver,
      PersonResolver,
      AddressResolver,
      DocumentResolver,
      OrganizationResolver,
      MembershipResolver,
      EventResolver,
      LifecycleResolver,
      VerificationResolver,
      WalletResolver,
      TwoFactorResolver,
      ApiKeyResolver,
      WebhookResolver,
      ExportResolver,
    ],
    validate: false,
    pubSub: contextBusOnly,
    authChecker: scopeChecker,
  }))));
  return built;
}

/** The SDL committed as schema.graphql: sorted, so that diffs show real changes only. */
export function printCustomerSchema(): string {
  return `${printSchema(lexicographicSortSchema(buildCustomerSchema()))}\n`;
}
