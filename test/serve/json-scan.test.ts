// The receiver's byte check of NDJSON lines must never accept what JSON.parse refuses, and
// must count each record under the kind JSON.parse would give it.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeRecords } from '../../src/serve/decode.js';
import { type KindSpan, scanObjectLine } from '../../src/serve/json-scan.js';

/** What JSON.parse makes of a line: its kind, or null when it is not a JSON object. */
function reference(line: string): string | null {
  let rec: unknown;
  try {
    rec = JSON.parse(line);
  } catch {
    return null;
  }
  if (rec === null || typeof rec !== 'object' || Array.isArray(rec)) return null;
  const kind = (rec as { kind?: unknown }).kind;
  return typeof kind === 'string' ? kind : 'unknown';
}

function scanned(line: string): string | null {
  const bytes = Buffer.from(`${line}\n`);
  const span: KindSpan = { start: -1, end: -1, escaped: false };
  if (!scanObjectLine(bytes, 0, bytes.length - 1, span)) return null;
  if (span.start < 0) return 'unknown';
  const text = bytes.toString('utf8', span.start, span.end);
  return span.escaped ? (JSON.parse(text) as string) : text;
}

// JSON texts, mostly objects, some with a kind, then cut or changed at one byte
const member = fc.oneof(fc.json({ maxDepth: 3 }), fc.constantFrom('"customer"', '"c\\u0075st"', '1', 'null', '{}', '[]', '"\\"', '01', '-', '1.', '1e', '"\t"', 'tru'));
const objectText = fc
  .tuple(fc.array(fc.tuple(fc.oneof(fc.constantFrom('kind', 'k\\u0069nd', 'a', '__proto__'), fc.string({ maxLength: 4 })), member), { maxLength: 5 }), fc.constantFrom('', ' ', '\t', '\r'))
  .map(([members, sep]) => `{${members.map(([k, v]) => `${sep}"${k}"${sep}:${sep}${v}${sep}`).join(',')}}`);
const mutated = fc.tuple(objectText, fc.nat(), fc.constantFrom('', '"', '\\', ',', '}', ']', '{', ':', ' ', '\u0001', 'é', '0', 'e', '-', '.')).map(([t, at, c]) => {
  const i = at % (t.length + 1);
  return t.slice(0, i) + c + t.slice(i + 1);
});
const anyLine = fc.oneof(objectText, mutated, fc.json({ maxDepth: 4 }), fc.string({ maxLength: 30 }));

describe('scanObjectLine', () => {
  it('accepts only what JSON.parse makes an object of, with the same kind (fast-check)', () => {
    fc.assert(
      fc.property(anyLine, (line) => {
        if (line.includes('\n')) return;
        const got = scanned(line);
        if (got !== null) expect(got).toBe(reference(line));
      }),
      { numRuns: 20000 },
    );
  });

  it('accepts the objects JSON.stringify writes, up to 64 levels deep (fast-check)', () => {
    const obj = fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 4 }), { maxKeys: 6 });
    fc.assert(
      fc.property(obj, fc.option(fc.string({ maxLength: 8 })), (o, kind) => {
        const line = JSON.stringify(kind === null ? o : { ...o, kind });
        // a top-level key spelt with escapes is left to JSON.parse
        const escapedKey = Object.keys(o).some((k) => JSON.stringify(k).includes('\\'));
        if (!escapedKey) expect(scanned(line)).toBe(reference(line));
      }),
      { numRuns: 5000 },
    );
  });

  it.each([
    ['{"kind":"customer","n":1}', 'customer'],
    ['{"kind":"a","kind":"b"}', 'b'],
    ['{"kind":""}', ''],
    ['{"kind":"a","kind":3}', 'unknown'],
    ['{"kind":"\\u0063ust"}', 'cust'],
    ['{"kind":{"kind":"x"}}', 'unknown'],
    ['{"a":[1,-0.5e+3,true,false,null,"\\n"]}', 'unknown'],
    [`{"a":${'['.repeat(64)}${']'.repeat(64)}}`, 'unknown'],
    [`{"a":${'['.repeat(65)}${']'.repeat(65)}}`, null], // deeper than 64: JSON.parse decides
    ['{"a":01}', null],
    ['{"a":1,}', null],
    ['{"a":"\t"}', null],
    [' {"a":1}', null],
    ['{"a":1} ', null],
    ['[{"a":1}]', null],
    ['{"\\u006bind":"x"}', null], // escaped key: JSON.parse decides
    ['{"a":"x\\q"}', null],
    ['{"a":"\\u12G4"}', null],
    ['{"a":tru}', null],
    ['{"a":1', null],
  ])('%s → %s', (line, kind) => {
    expect(scanned(line)).toBe(kind);
  });
});

describe('decodeRecords on NDJSON', () => {
  it('counts, kinds and text equal a line-by-line JSON.parse of the body (fast-check)', async () => {
    const body = fc.array(fc.oneof({ weight: 8, arbitrary: objectText }, { weight: 1, arbitrary: anyLine }, { weight: 1, arbitrary: fc.constant('') }), { minLength: 1, maxLength: 8 });
    await fc.assert(
      fc.asyncProperty(body, fc.boolean(), async (lines, lastNewline) => {
        const clean = lines.filter((l) => !l.includes('\n'));
        const text = clean.join('\n') + (lastNewline ? '\n' : '');
        const parsed = clean.map((l) => l.trim()).filter((l) => l !== '');
        const kinds = parsed.map(reference);
        const got = await decodeRecords(Buffer.from(text), 'application/x-ndjson', undefined, 1 << 20).catch((err: Error) => err);
        if (kinds.includes(null)) {
          expect(got).toBeInstanceOf(Error);
          return;
        }
        if (got instanceof Error) throw got;
        expect(got.count).toBe(parsed.length);
        const byKind: Record<string, number> = {};
        for (const k of kinds as string[]) byKind[k] = (byKind[k] ?? 0) + 1;
        expect(got.byKind).toEqual(byKind);
        expect(got.text().toString()).toBe(parsed.length === 0 ? '' : parsed.join('\n') + '\n');
      }),
      { numRuns: 3000 },
    );
  });
});
