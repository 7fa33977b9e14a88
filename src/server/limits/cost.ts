// The requested cost of an operation, estimated from the document before execution (as Shopify's
// requestedQueryCost is):
//
//   scalar or enum field          0
//   object field                  1 + its selection
//   field with first/last         2 + its selection, its list fields multiplied by the page size
//   (a connection)                  (first, else last, else 20; capped at 100, as pagination is)
//   list field sized by `ids`     1 + its selection times the number of ids (at most 100)
//   mutation field                10 + its selection
//
// A field may set its own cost with type-graphql's `@Extensions({ cost: n })`. Nested connections
// multiply through: `customers(first: 10) { nodes { documents(first: 5) { nodes { id } } } }`
// costs 2 + 10 * (1 + 2 + 5 * 1) = 82. Fields skipped by @skip/@include cost nothing. Where
// fragments on different object types select from an interface or union, only the costliest
// type counts, since each item has one type.
//
// The walk is recursive, not a TypeInfo visitor: a named fragment's cost is computed once and
// reused for each spread, so nested fragment spreads cannot make the estimate itself expensive.
import {
  GraphQLIncludeDirective,
  GraphQLSkipDirective,
  Kind,
  SchemaMetaFieldDef,
  TypeMetaFieldDef,
  TypeNameMetaFieldDef,
  getDirectiveValues,
  getNamedType,
  getNullableType,
  getVariableValues,
  isAbstractType,
  isCompositeType,
  isInterfaceType,
  isListType,
  isObjectType,
  valueFromAST,
  visit,
  type ASTNode,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type FragmentSpreadNode,
  type GraphQLCompositeType,
  type GraphQLField,
  type GraphQLSchema,
  type InlineFragmentNode,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type VariableDefinitionNode,
} from "graphql";
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from "../../services/pagination";

const FIELD_COST = { leaf: 0, object: 1, connection: 2, mutation: 10 } as const;

/** A selection's cost, split so that a connection can multiply only its lists (edges, nodes). */
interface Cost {
  /** Fields whose type is not a list: counted once. */
  once: number;
  /** Fields whose type is a list: multiplied by the enclosing connection's page size. */
  perItem: number;
}

const ZERO: Cost = { once: 0, perItem: 0 };
const add = (a: Cost, b: Cost): Cost => ({ once: a.once + b.once, perItem: a.perItem + b.perItem });
const max = (a: Cost, b: Cost): Cost => ({ once: Math.max(a.once, b.once), perItem: Math.max(a.perItem, b.perItem) });

/** Arguments and directives whose values the estimate reads: page sizes, id lists, skip/include. */
const PRICED_ARGUMENTS = new Set(["first", "last", "ids", "if"]);
/** Costs remembered per operation and priced variable values. */
const MAX_REMEMBERED = 100;

interface Plan {
  /** The operation's variables that the estimate reads; the others (inputs, ids) cannot change it. */
  priced: readonly VariableDefinitionNode[];
  costs: Map<string, number>;
}
const plans = new WeakMap<GraphQLSchema, WeakMap<OperationDefinitionNode, Plan>>();

function planOf(schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode): Plan {
  let bySchema = plans.get(schema);
  if (!bySchema) plans.set(schema, (bySchema = new WeakMap()));
  let plan = bySchema.get(operation);
  if (!plan) {
    const names = new Set<string>();
    const priced = (node: ASTNode) =>
      visit(node, {
        Argument(argument) {
          if (!PRICED_ARGUMENTS.has(argument.name.value)) return false;
          visit(argument.value, { Variable: (variable) => void names.add(variable.name.value) });
          return false;
        },
      });
    priced(operation);
    for (const definition of document.definitions) if (definition.kind === Kind.FRAGMENT_DEFINITION) priced(definition);
    plan = { priced: (operation.variableDefinitions ?? []).filter((d) => names.has(d.variable.name.value)), costs: new Map() };
    bySchema.set(operation, plan);
  }
  return plan;
}

/**
 * The operation's requested cost. `variables` are the request's raw variables; those the estimate
 * reads (page sizes, id lists, skip/include conditions) are coerced as execution would, and when
 * they do not coerce (execution will refuse them) the operation's defaults stand in. The cost is
 * remembered per operation and values of those variables: a mutation's input or a customer's id
 * cannot change it, and is not coerced a second time for it.
 */
export function operationCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Record<string, unknown> | null | undefined,
): number {
  const plan = planOf(schema, document, operation);
  const given = variables ?? {};
  // A variable left out (its default applies) and one given as null are different keys.
  const key = plan.priced.length === 0 ? "" : JSON.stringify(plan.priced.map((d) => (Object.hasOwn(given, d.variable.name.value) ? [given[d.variable.name.value]] : [])));
  let cost = plan.costs.get(key);
  if (cost === undefined) {
    cost = estimate(schema, document, operation, plan.priced, given);
    if (plan.costs.size >= MAX_REMEMBERED) plan.costs.delete(plan.costs.keys().next().value!);
    plan.costs.set(key, cost);
  }
  return cost;
}

function estimate(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  priced: readonly VariableDefinitionNode[],
  variables: Record<string, unknown>,
): number {
  const coerced = getVariableValues(schema, priced, variables, { maxErrors: 1 });
  const variableValues = coerced.coerced ?? {};
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  const fragmentCosts = new Map<string, Cost>();
  const visiting = new Set<string>();
  const mutationType = schema.getMutationType();

  function skipped(node: FieldNode | InlineFragmentNode | FragmentSpreadNode): boolean {
    if (!node.directives?.length) return false;
    try {
      if (getDirectiveValues(GraphQLSkipDirective, node, variableValues)?.if === true) return true;
      if (getDirectiveValues(GraphQLIncludeDirective, node, variableValues)?.if === false) return true;
    } catch {
      // An invalid `if` fails execution anyway; count the field.
    }
    return false;
  }

  function fieldDefinition(parent: GraphQLCompositeType, name: string): GraphQLField<unknown, unknown> | undefined {
    if (name === TypeNameMetaFieldDef.name) return TypeNameMetaFieldDef;
    if (parent === schema.getQueryType()) {
      if (name === SchemaMetaFieldDef.name) return SchemaMetaFieldDef;
      if (name === TypeMetaFieldDef.name) return TypeMetaFieldDef;
    }
    return isObjectType(parent) || isInterfaceType(parent) ? parent.getFields()[name] : undefined;
  }

  function argument(field: GraphQLField<unknown, unknown>, node: FieldNode, name: string): unknown {
    const definition = field.args.find((a) => a.name === name);
    if (!definition) return undefined;
    const given = node.arguments?.find((a) => a.name.value === name);
    const value = given ? valueFromAST(given.value, definition.type, variableValues) : undefined;
    return value ?? definition.defaultValue ?? undefined;
  }

  const clampSize = (n: number) => Math.min(Math.max(Math.trunc(n), 0), MAX_PAGE_SIZE);

  /** How many items the field asks for, or null when it does not say. */
  function pageSize(field: GraphQLField<unknown, unknown>, node: FieldNode, returnsList: boolean): number | null {
    if (field.args.some((a) => a.name === "first" || a.name === "last")) {
      const size = argument(field, node, "first") ?? argument(field, node, "last");
      return typeof size === "number" ? clampSize(size) : DEFAULT_PAGE_SIZE;
    }
    if (returnsList && field.args.some((a) => a.name === "ids")) {
      const ids = argument(field, node, "ids");
      return Array.isArray(ids) ? clampSize(ids.length) : ids == null ? 0 : 1;
    }
    return null;
  }

  function fieldCost(parent: GraphQLCompositeType, node: FieldNode): Cost {
    const field = fieldDefinition(parent, node.name.value);
    if (!field) return ZERO; // validation refuses unknown fields before this runs
    const returnsList = isListType(getNullableType(field.type));
    const named = getNamedType(field.type);
    const size = pageSize(field, node, returnsList);
    const declared = field.extensions?.cost;
    const own =
      typeof declared === "number"
        ? declared
        : parent === mutationType
          ? FIELD_COST.mutation
          : !isCompositeType(named)
            ? FIELD_COST.leaf
            : size !== null && !returnsList
              ? FIELD_COST.connection
              : FIELD_COST.object;
    let total = own;
    if (node.selectionSet && isCompositeType(named)) {
      const inner = selectionSetCost(named, node.selectionSet);
      if (size === null) total += inner.once + inner.perItem;
      else if (returnsList) total += size * (inner.once + inner.perItem);
      else total += inner.once + size * inner.perItem;
    }
    return returnsList ? { once: 0, perItem: total } : { once: total, perItem: 0 };
  }

  function fragmentCost(fragment: FragmentDefinitionNode): Cost {
    const name = fragment.name.value;
    const known = fragmentCosts.get(name);
    if (known) return known;
    const type = schema.getType(fragment.typeCondition.name.value);
    if (visiting.has(name) || !isCompositeType(type)) return ZERO; // cycles are refused by validation
    visiting.add(name);
    const cost = selectionSetCost(type, fragment.selectionSet);
    visiting.delete(name);
    fragmentCosts.set(name, cost);
    return cost;
  }

  function selectionSetCost(parent: GraphQLCompositeType, selectionSet: SelectionSetNode): Cost {
    let always = ZERO;
    // On an interface or union, fragments on different object types are alternatives.
    const byType = new Map<string, Cost>();
    const addFragment = (condition: GraphQLCompositeType, cost: Cost) => {
      if (isAbstractType(parent) && isObjectType(condition)) {
        byType.set(condition.name, add(byType.get(condition.name) ?? ZERO, cost));
      } else {
        always = add(always, cost);
      }
    };
    for (const selection of selectionSet.selections) {
      if (skipped(selection)) continue;
      if (selection.kind === Kind.FIELD) {
        always = add(always, fieldCost(parent, selection));
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const type = selection.typeCondition ? schema.getType(selection.typeCondition.name.value) : parent;
        if (isCompositeType(type)) addFragment(type, selectionSetCost(type, selection.selectionSet));
      } else {
        const fragment = fragments.get(selection.name.value);
        const type = fragment && schema.getType(fragment.typeCondition.name.value);
        if (fragment && isCompositeType(type)) addFragment(type, fragmentCost(fragment));
      }
    }
    let costliest = ZERO;
    for (const cost of byType.values()) costliest = max(costliest, cost);
    return add(always, costliest);
  }

  const root = schema.getRootType(operation.operation);
  if (!root) return 0;
  const cost = selectionSetCost(root, operation.selectionSet);
  return cost.once + cost.perItem;
}
