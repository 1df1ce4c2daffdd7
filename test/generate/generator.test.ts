// The generator's parts in-process: PRNG, invalid-record picking, CSV/JSON encoding,
// the hot path's "plain field" promise, back pressure, early stop, and --rate pacing (on fake timers).
import { Writable } from 'node:stream';
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { csvCell, jsonString, lineEncoder, newRow, resetRow } from '../../src/generate/format.js';
import { generate, GENERATORS, INVALID_CODES, type GenerateOptions } from '../../src/generate/index.js';
import { InvalidPicker } from '../../src/generate/invalid.js';
import { Rng } from '../../src/generate/prng.js';
import type { ErrorCode } from '../../src/pipeline/types.js';

/** A Writable that keeps what it gets; `delay` makes it slow, to exercise back pressure. */
function sink(delay = false): Writable & { text: () => string; maxBuffered: number } {
  const chunks: Buffer[] = [];
  const w = new Writable({
    highWaterMark: 64 * 1024,
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk);
      if (delay) setImmediate(done);
      else done();
    },
  }) as Writable & { text: () => string; maxBuffered: number };
  w.maxBuffered = 0;
  const write = w.write.bind(w);
  w.write = ((chunk: Buffer, ...rest: never[]) => {
    const ok = write(chunk, ...rest);
    w.maxBuffered = Math.max(w.maxBuffered, w.writableLength);
    return ok;
  }) as typeof w.write;
  w.text = () => Buffer.concat(chunks).toString('utf8');
  return w;
}

async function text(opts: Omit<GenerateOptions, 'stdout'>): Promise<string> {
  const out = sink();
  await generate({ ...opts, stdout: out });
  return out.text();
}

describe('Rng', () => {
  it('gives the same sequence for the same seed, and independent streams per stream number', () => {
    const draw = (seed: string, stream = 0) => {
      const r = new Rng(seed, stream);
      return Array.from({ length: 8 }, () => r.u32());
    };
    expect(draw('42')).toEqual(draw('42'));
    expect(draw('42')).not.toEqual(draw('43'));
    expect(draw('42', 1)).not.toEqual(draw('42', 0));
  });

  it('int(n) stays in [0, n) and covers it', () => {
    const r = new Rng('cover');
    const seen = new Set<number>();
    for (let i = 0; i < 10_000; i++) {
      const v = r.int(10);
      expect(v >= 0 && v < 10 && Number.isInteger(v)).toBe(true);
      seen.add(v);
    }
    expect(seen.size).toBe(10);
  });
});

describe('InvalidPicker', () => {
  it('picks exactly round(count × share) records and cycles the codes in order', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 3000 }), fc.double({ min: 0, max: 1, noNaN: true }), fc.string(), (count, share, seed) => {
        const codes: ErrorCode[] = ['invalid_id', 'too_long', 'invalid_enum'];
        const picker = new InvalidPicker(count, share, codes, new Rng(seed));
        const picked: ErrorCode[] = [];
        for (let i = 0; i < count; i++) {
          const c = picker.next();
          if (c) picked.push(c);
        }
        expect(picked).toHaveLength(Math.round(count * share));
        picked.forEach((c, n) => expect(c).toBe(codes[n % codes.length]));
      }),
      { numRuns: 200 },
    );
  });
});

describe('encoding', () => {
  it.each([
    ['plain', 'plain'],
    ['a,b', '"a,b"'],
    ['27" Monitor', '"27"" Monitor"'],
    ['two\nlines', '"two\nlines"'],
    ['cr\rhere', '"cr\rhere"'],
    ['  spaced  ', '  spaced  '],
    ['', ''],
  ])('csvCell(%j) is %j', (value, cell) => {
    expect(csvCell(value)).toBe(cell);
  });

  it('csvCell(null) is an empty cell; jsonString escapes like JSON.stringify', () => {
    expect(csvCell(null)).toBe('');
    for (const s of ['plain', 'Zoë', 'say "hi"', 'back\\slash', 'tab\there', '\u2028']) {
      expect(JSON.parse(jsonString(s))).toBe(s);
    }
  });

  it('valid rows keep the promise of "plain" fields (no quoting or escaping needed)', () => {
    const special = /[",\\\r\n\u0000-\u001f\u2028\u2029]/;
    for (const gen of Object.values(GENERATORS)) {
      const rng = new Rng('plain');
      const row = newRow(gen);
      const plain = gen.fields.map((f) => f.plain === true);
      const bad: string[] = [];
      for (let i = 0; i < 50_000; i++) {
        gen.fill(row, i, rng);
        row.values.forEach((v, f) => {
          if (plain[f] && v !== null && special.test(v)) bad.push(`${gen.fields[f]!.name}: ${v}`);
        });
      }
      expect(bad).toEqual([]);
    }
  });

  it('an invalid row is fully checked: its values are quoted and escaped where needed', () => {
    const gen = GENERATORS.customer;
    const row = newRow(gen);
    gen.fill(row, 0, new Rng('x'));
    row.mutated = true;
    row.values[8] = '1,234.50'; // lifetime_value: a plain field when valid
    row.json[8] = jsonString('1,234.50');
    expect(lineEncoder(gen, 'csv')(row)).toContain(',"1,234.50",');
    expect(JSON.parse(lineEncoder(gen, 'ndjson')(row)).lifetime_value).toBe('1,234.50');
    resetRow(row);
    expect(row.json.every((j) => j === undefined)).toBe(true);
  });

  it('every NDJSON line of invalid records is valid JSON with the fields in header order', async () => {
    for (const kind of ['customer', 'inventory'] as const) {
      const lines = (await text({ kind, count: 2000, invalidShare: 1, format: 'ndjson' })).trimEnd().split('\n');
      expect(lines).toHaveLength(2000);
      const order = GENERATORS[kind].fields.map((f) => f.name);
      for (const l of lines) {
        const keys = Object.keys(JSON.parse(l) as object);
        expect(keys).toEqual(order.filter((k) => keys.includes(k)));
      }
    }
  });
});

describe('generate()', () => {
  it('gives record i the same content whatever the count (a shorter run is a prefix)', async () => {
    const short = await text({ kind: 'customer', count: 10, seed: 's' });
    const long = await text({ kind: 'customer', count: 100, seed: 's' });
    expect(long.startsWith(short)).toBe(true);
  });

  it('counts invalid records by code', async () => {
    const out = sink();
    const r = await generate({ kind: 'inventory', count: 700, invalidShare: 0.1, stdout: out });
    expect(r).toMatchObject({ records: 700, invalid: 70, ended: 'done' });
    expect(r.byCode).toEqual(Object.fromEntries(INVALID_CODES.inventory.map((c) => [c, 10])));
    expect(r.bytes).toBe(Buffer.byteLength(out.text()));
  });

  it('waits for a slow reader instead of buffering everything (back pressure)', async () => {
    const out = sink(true);
    const r = await generate({ kind: 'customer', count: 100_000, stdout: out });
    expect(r.bytes).toBeGreaterThan(5_000_000);
    expect(out.maxBuffered).toBeLessThanOrEqual(2 * 1024 * 1024); // about one 1 MB batch in flight
    expect(out.text().split('\n')).toHaveLength(100_002); // header, records, final newline
  });
});

describe('generate() with a rate, on fake timers', () => {
  afterEach(() => vi.useRealTimers());

  it('hands over rate/20 records at a time, each batch at its due time, and ends when the last is due', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    const out = sink();
    let result: Awaited<ReturnType<typeof generate>> | undefined;
    const pending = generate({ kind: 'inventory', count: 30, rate: 100, format: 'ndjson', stdout: out }).then((r) => (result = r));
    const rows = (): number => out.text().split('\n').filter(Boolean).length;
    await vi.advanceTimersByTimeAsync(0);
    expect(rows()).toBe(5); // 100/s: batches of 5, every 50 ms; the first at once
    await vi.advanceTimersByTimeAsync(49);
    expect(rows()).toBe(5);
    await vi.advanceTimersByTimeAsync(1);
    expect(rows()).toBe(10);
    await vi.advanceTimersByTimeAsync(200);
    expect(rows()).toBe(30); // the 6th batch at 250 ms
    await vi.advanceTimersByTimeAsync(49);
    expect(result).toBeUndefined(); // 30 records at 100/s take 300 ms, not less
    await vi.advanceTimersByTimeAsync(1);
    await pending;
    expect(result).toMatchObject({ records: 30, ended: 'done', durationMs: 300 });
  });

  it('stops early on abort, ending with whole records, without waiting out the pacing sleep', async () => {
    // the abort lands at a known point, mid-sleep
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    const ctrl = new AbortController();
    const out = sink();
    let result: Awaited<ReturnType<typeof generate>> | undefined;
    const pending = generate({ kind: 'customer', count: 1_000_000, rate: 1000, stdout: out, signal: ctrl.signal }).then((x) => (result = x));
    await vi.advanceTimersByTimeAsync(120); // batches of 50 at 0, 50 and 100 ms; asleep until 150 ms
    ctrl.abort();
    await vi.advanceTimersByTimeAsync(0); // the clock stays at 120 ms: the abort ends the sleep
    expect(result).toBeDefined();
    const r = await pending;
    expect(r.ended).toBe('aborted');
    expect(r.records).toBe(150);
    expect(r.durationMs).toBe(120);
    const lines = out.text().split('\n');
    expect(lines.pop()).toBe('');
    expect(lines).toHaveLength(r.records + 1);
  });
});
