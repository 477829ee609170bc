import { readFile } from 'node:fs/promises';
import { parse } from 'csv-parse/sync';
import { EmodistillError, ERROR_CODES } from '../errors.js';

/** A manifest's rows keyed by column; `rowLabel(i)` names row i in errors as the user sees it. */
export interface ManifestTable {
  readonly path: string;
  readonly rows: readonly Readonly<Record<string, string>>[];
  rowLabel(index: number): string;
}

/** Rows plus the file line each ends on (blank lines are skipped, so rows and lines can differ). */
function parseCsv(text: string, path: string): { rows: Record<string, string>[]; lineNumbers: number[] } {
  try {
    const records = parse(text, {
      columns: (header: string[]) => header.map((h) => h.trim()),
      skip_empty_lines: true,
      trim: true,
      bom: true,
      info: true,
    }) as {
      record: Record<string, string>;
      info: { lines: number };
    }[];
    return { rows: records.map((r) => r.record), lineNumbers: records.map((r) => r.info.lines) };
  } catch (error) {
    throw new EmodistillError(ERROR_CODES.manifestRow, `${path}: not valid CSV (${(error as Error).message})`, {
      cause: error,
    });
  }
}

function parseJsonl(text: string, path: string): { rows: Record<string, string>[]; lineNumbers: number[] } {
  const rows: Record<string, string>[] = [];
  const lineNumbers: number[] = [];
  text.split(/\r?\n/).forEach((line, index) => {
    if (!line.trim()) return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      throw new EmodistillError(ERROR_CODES.manifestRow, `${path} line ${index + 1}: not valid JSON`);
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new EmodistillError(ERROR_CODES.manifestRow, `${path} line ${index + 1}: expected a JSON object`);
    }
    rows.push(
      Object.fromEntries(
        Object.entries(value).map(([key, field]) => [key, field === null || field === undefined ? '' : String(field)]),
      ),
    );
    lineNumbers.push(index + 1);
  });
  return { rows, lineNumbers };
}

/**
 * Reads a CSV (header row) or JSONL (.jsonl/.ndjson) manifest and checks that `required` columns
 * exist and are non-empty in every row.
 */
export async function readManifestTable(path: string, required: readonly string[]): Promise<ManifestTable> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new EmodistillError(ERROR_CODES.corpusLayout, `cannot read manifest ${path}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const isJsonl = /\.(jsonl|ndjson)$/i.test(path);
  let table: ManifestTable;
  if (isJsonl) {
    const { rows, lineNumbers } = parseJsonl(text, path);
    table = { path, rows, rowLabel: (i) => `${path} line ${lineNumbers[i]}` };
  } else {
    // "row n" is the file line the row ends on, as an editor or spreadsheet shows it.
    const { rows, lineNumbers } = parseCsv(text, path);
    table = { path, rows, rowLabel: (i) => `${path} row ${lineNumbers[i]}` };
  }
  const present = new Set(table.rows.flatMap((row) => Object.keys(row)));
  if (!isJsonl) {
    const header = text
      .replace(/^\uFEFF/, '')
      .split(/\r?\n/, 1)[0]!
      .split(',')
      .map((h) => h.trim());
    header.forEach((column) => present.add(column));
  }
  for (const column of required) {
    if (!present.has(column)) {
      throw new EmodistillError(
        ERROR_CODES.manifestColumn,
        `${path}: missing column "${column}" (found: ${[...present].join(', ') || 'none'}; required: ${required.join(', ')})`,
      );
    }
  }
  table.rows.forEach((row, i) => {
    for (const column of required) {
      if (!row[column]) throw new EmodistillError(ERROR_CODES.manifestRow, `${table.rowLabel(i)}: empty "${column}"`);
    }
  });
  return table;
}
