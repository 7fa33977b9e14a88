// The DateTime and LocalDate scalars answer stored values without graphql-scalars' parse, and must
// answer exactly what graphql-scalars' own serialize gives once it is written as JSON.
import { test } from "node:test";
import assert from "node:assert/strict";
import { GraphQLDateTime, GraphQLLocalDate } from "graphql-scalars";
import { DateTime, LocalDate } from "../src/types/scalars";

/** The JSON text of a serialized value, or the error message. */
function output(serialize: (value: unknown) => unknown, value: unknown): string {
  try {
    return JSON.stringify(serialize(value));
  } catch (error) {
    return `error: ${(error as Error).message}`;
  }
}

test("DateTime gives what graphql-scalars gives, for stored timestamps and every other input", () => {
  const values: unknown[] = [
    "2026-11-27T19:37:22.708Z",
    "2024-02-29T23:59:59.999Z",
    "2000-01-01T00:00:00.000Z",
    "2023-02-29T10:00:00.000Z", // not a day
    "2026-13-01T10:00:00.000Z",
    "2026-04-31T10:00:00.000Z",
    "2026-11-27T24:00:00.000Z",
    "2026-11-27T23:59:60.000Z", // a leap second: graphql-scalars' own answer
    "2026-11-27T19:37:22Z",
    "2026-11-27T19:37:22.7Z",
    "2026-11-27T19:37:22.708+02:00",
    "2026-11-27 19:37:22.708Z",
    "not a date",
    new Date("2026-11-27T19:37:22.708Z"),
    1_764_272_242_708,
    null,
    { at: 1 },
  ];
  for (const value of values) {
    assert.equal(output((v) => DateTime.serialize(v), value), output((v) => GraphQLDateTime.serialize(v), value), String(value));
  }
  // The stored form comes back as the same string, not rebuilt through a Date.
  assert.equal(DateTime.serialize("2026-11-27T19:37:22.708Z"), "2026-11-27T19:37:22.708Z");
  assert.equal(DateTime.name, "DateTime");
  assert.equal(DateTime.description, GraphQLDateTime.description);
});

test("LocalDate gives what graphql-scalars gives, and refuses what it refuses", () => {
  for (const value of ["2026-11-27", "2024-02-29", "2023-02-29", "2026-04-31", "2026-00-10", "2026-1-10", "20261127", "", 20261127, null]) {
    assert.equal(output((v) => LocalDate.serialize(v), value), output((v) => GraphQLLocalDate.serialize(v), value), String(value));
  }
  assert.match(output((v) => LocalDate.serialize(v), "2023-02-29"), /^error: /);
  assert.equal(LocalDate.parseValue("2024-02-29"), "2024-02-29");
});
