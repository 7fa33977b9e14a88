// Scalars of our own, where graphql-scalars' do not fit the contract.
import { GraphQLError, GraphQLScalarType, Kind } from "graphql";
import { toAlpha2 } from "../lib/countries";

function parseCountry(value: unknown): string {
  const code = typeof value === "string" ? toAlpha2(value) : null;
  if (!code) {
    throw new GraphQLError(`Value is not an ISO 3166-1 country code (alpha-2, alpha-3 or numeric): ${String(value)}`, {
      extensions: { code: "BAD_USER_INPUT" },
    });
  }
  return code;
}

/** graphql-scalars' CountryCode takes alpha-2 only; the contract also accepts numeric codes in inputs. */
export const CountryCode = new GraphQLScalarType({
  name: "CountryCode",
  description:
    "A country, ISO 3166-1. Always returned as alpha-2 (\"AE\"); inputs also accept alpha-3 (\"ARE\") and numeric (\"784\") codes.",
  serialize: (value) => parseCountry(value),
  parseValue: (value) => parseCountry(value),
  parseLiteral: (ast) => {
    if (ast.kind !== Kind.STRING) throw new GraphQLError("CountryCode must be a string.", { extensions: { code: "BAD_USER_INPUT" } });
    return parseCountry(ast.value);
  },
});
