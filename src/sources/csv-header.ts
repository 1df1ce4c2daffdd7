// CSV headers and rows as records: header names checked, a row made into a record
// object keyed by them, and the header read from the start of a file.
import { normalizeHeader } from '../contract/index.js';
import { RecflowError } from '../errors.js';
import type { Fields } from '../pipeline/types.js';
import { CsvTokenizer } from './csv.js';
import type { Delimiter } from './dialect.js';
import { readHead, type FileSpec, type Format } from './file-input.js';

export function sniffFormat(text: string): Format {
  const t = text.replace(/^\uFEFF/, '').trimStart();
  return t.startsWith('{') ? 'ndjson' : 'csv';
}

/** Header names as the contract wants them; empty names become column_N. */
export function headerNames(cells: string[], source: string): string[] {
  const names = cells.map((c, i) => normalizeHeader(c) || `column_${i + 1}`);
  const seen = new Map<string, number>();
  names.forEach((n, i) => {
    const prev = seen.get(n);
    if (prev !== undefined) {
      throw new RecflowError(
        'input',
        `${source}:1: the CSV header names "${n}" twice (columns ${prev + 1} and ${i + 1}); rename one of them`,
      );
    }
    seen.set(n, i);
  });
  return names;
}

/**
 * Makes the record object of a CSV row: header names as keys, in header order;
 * a short row gets only the cells it has. For rows with every cell (the common
 * case) a function with one object literal is compiled for the header: much
 * faster than keyed stores, and the same object.
 */
export function rowMaker(header: readonly string[]): (cells: string[]) => Fields {
  const generic = (cells: string[]): Fields => {
    const o: Fields = {};
    for (let k = 0; k < cells.length; k++) {
      const h = header[k]!;
      // a store to `__proto__` would set the prototype (or be ignored): define an own field
      if (h === '__proto__') Object.defineProperty(o, h, { value: cells[k], enumerable: true, writable: true, configurable: true });
      else o[h] = cells[k];
    }
    return o;
  };
  // `__proto__` in a literal sets the prototype: such a header takes the generic path.
  if (header.length === 0 || header.length > 64 || header.includes('__proto__')) return generic;
  try {
    const props = header.map((h, i) => `${JSON.stringify(h)}: c[${i}]`).join(', ');
    const make = new Function('generic', `return function row(c) { return c.length === ${header.length} ? { ${props} } : generic(c); };`);
    return make(generic) as (cells: string[]) => Fields;
  } catch {
    return generic; // code generation disallowed (--disallow-code-generation-from-strings)
  }
}

/**
 * A CSV tokenizer whose first row is the header (names checked, cell count bounded) and
 * whose other rows become records for `add`; `useHeader` sets the header read elsewhere
 * (a resumed read: the header is at the top of the file, not in the bytes read).
 */
export function csvRecords(
  name: string,
  add: (v: Fields, line: number) => void,
  bad: ConstructorParameters<typeof CsvTokenizer>[0]['bad'],
  options: ConstructorParameters<typeof CsvTokenizer>[1],
): { tokenizer: CsvTokenizer; useHeader: (cells: string[]) => void } {
  let make: ((cells: string[]) => Fields) | null = null;
  const useHeader = (cells: string[]): void => {
    const header = headerNames(cells, name);
    tokenizer.maxCells = header.length;
    make = rowMaker(header);
  };
  const tokenizer: CsvTokenizer = new CsvTokenizer(
    {
      row(cells, line) {
        if (make === null) useHeader(cells);
        else add(make(cells), line);
      },
      bad,
    },
    options,
  );
  return { tokenizer, useHeader };
}

/** The header row of a CSV text's start (null when it holds no complete row). */
export function headerOf(head: { text: string; final: boolean }, delimiter: Delimiter | undefined): string[] | null {
  let header: string[] | null = null;
  const tok = new CsvTokenizer({
    row(cells) {
      header ??= cells;
    },
    bad() {},
  }, { delimiter });
  tok.push(head.text, head.final);
  return header;
}

/** Read just the header row of a CSV spec (in its delimiter and encoding). */
export async function readCsvHeader(spec: FileSpec): Promise<string[] | null> {
  return headerOf(await readHead(spec), spec.delimiter);
}
