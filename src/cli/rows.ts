// Decoding the rows of an import: a JSON line or a CSV record to an import row (the create input,
// the identity kept from the source, the organization it describes), then checking it. Plain
// functions of plain data, run in the import's worker threads or, with --workers 0, in the main
// thread.
import { checkRow, type CheckedRow, type ImportRow } from "../services/import.service";
import { toImportParts, unflatten, type Column, type Shape } from "./customer-format";

/** One unit of work: where it came from (row N) and what it is. */
export type RawRow =
  | { row: number; kind: "jsonl"; text: string }
  | { row: number; kind: "csv"; cells: Record<string, string> }
  /** Already a create input (seeding). */
  | { row: number; kind: "input"; input: unknown };

/** What decoding needs, the same for every row: plain data, handed to each worker once. */
export interface DecodeContext {
  /** CreateCustomerInput, compiled. */
  shape: Shape;
  /** The CSV columns of the export. */
  columns: Column[];
  /** --org: every row goes to this organization. */
  organizationId?: string;
}

function fromRecord(row: number, record: unknown, context: DecodeContext): ImportRow {
  if (typeof record !== "object" || record === null || Array.isArray(record)) {
    return { row, input: null, errors: [{ code: "INVALID", field: null, message: "a row must be a JSON object" }] };
  }
  return { row, ...toImportParts(record as Record<string, unknown>, context.shape, context.organizationId) };
}

export function decode(raw: RawRow, context: DecodeContext, columns: Map<string, Column>): ImportRow {
  switch (raw.kind) {
    case "input":
      return { row: raw.row, input: raw.input };
    case "csv": {
      const { record, errors } = unflatten(raw.cells, columns);
      return errors.length ? { row: raw.row, input: null, errors } : fromRecord(raw.row, record, context);
    }
    case "jsonl": {
      let record: unknown;
      try {
        record = JSON.parse(raw.text);
      } catch (error) {
        return { row: raw.row, input: null, errors: [{ code: "INVALID", field: null, message: `not valid JSON (${(error as Error).message})` }] };
      }
      return fromRecord(raw.row, record, context);
    }
  }
}

/** Decodes and checks rows, in order. */
export function checker(context: DecodeContext): (rows: RawRow[]) => CheckedRow[] {
  const columns = new Map(context.columns.map((c) => [c.name, c]));
  return (rows) => rows.map((raw) => checkRow(decode(raw, context, columns)));
}
