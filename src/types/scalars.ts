// Scalars of our own, where graphql-scalars' do not fit the contract.
import { GraphQLError, GraphQLScalarType, Kind } from "graphql";
import { GraphQLDateTime, GraphQLLocalDate } from "graphql-scalars";
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

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Whether year-month-day (month from 1) is a day of the Gregorian calendar. */
function isCalendarDay(year: number, month: number, day: number): boolean {
  if (month < 1 || month > 12 || day < 1) return false;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return day <= (month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1]);
}

// The form the database stores every timestamp in (Date#toISOString), and LocalDate's only form.
const STORED_DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T([01]\d|2[0-3]):[0-5]\d:[0-5]\d\.\d{3}Z$/;
const LOCAL_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/**
 * `scalar` answering a value of `form` that is a calendar day as it is, without its own serialize:
 * for graphql-scalars' DateTime that builds a Date whose JSON is the same text, for its LocalDate
 * a Date only to check the day, each costing more than the rest of a field's output. Any other
 * value goes to the scalar's serialize.
 */
function storedAsIs(scalar: GraphQLScalarType, form: RegExp): GraphQLScalarType {
  const config = scalar.toConfig();
  return new GraphQLScalarType({
    ...config,
    serialize(value) {
      if (typeof value === "string") {
        const match = form.exec(value);
        if (match && isCalendarDay(Number(match[1]), Number(match[2]), Number(match[3]))) return value;
      }
      return config.serialize(value);
    },
  });
}

export const DateTime = storedAsIs(GraphQLDateTime, STORED_DATE_TIME);
export const LocalDate = storedAsIs(GraphQLLocalDate, LOCAL_DATE);
