// run --from-dlq: the dead-letter file of an earlier run as input, through the built CLI.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ndjsonLines, runCli, tempDir } from '../support/cli.js';

interface DeadLine {
  source: string;
  line: number | null;
  kind: string | null;
  errors: { code: string; message: string }[];
  record: unknown;
  replay?: { file: string; line: number; not_replayable?: string };
}
const deadLines = (path: string): DeadLine[] => ndjsonLines(readFileSync(path, 'utf8')) as DeadLine[];
const idsOf = (path: string): string[] => ndjsonLines(readFileSync(path, 'utf8')).map((r) => (r as { customer_id: string }).customer_id);
const summaryOf = (path: string): { sources: Record<string, unknown>[]; records: Record<string, number> } => JSON.parse(readFileSync(path, 'utf8'));

let tmp: ReturnType<typeof tempDir>;
afterEach(() => tmp?.cleanup());

const csv = [
  'kind,customer_id,email,country',
  'customer,C1,a@example.com,DE', // 2: kept by the filter
  'customer,C2,b@example.com,FR', // 3: filtered
  'customer,C3,not-an-email,FR', //  4: invalid_email
  'customer,C4,d@example.com,FR', // 5: filtered
  'customer,C5,"e@example.com', //   6: parse_error (a quote never closed)
  '',
].join('\n');

describe('run --from-dlq', () => {
  it('after a stage is fixed: the fixed records are delivered, the rest keep source, line and get the replay position', async () => {
    tmp = tempDir('recflow-replay-');
    const input = join(tmp.dir, 'in.csv');
    writeFileSync(input, csv);
    const dlq1 = join(tmp.dir, 'rejects.ndjson');
    const r1 = await runCli(['run', 'in.csv', '--stage', 'filter:expr=country == "DE",on_drop=reject', '--to', 'out1.ndjson', '--dlq', dlq1], { cwd: tmp.dir });
    expect(r1.code, r1.stderr).toBe(0);
    const first = deadLines(dlq1);
    expect(first.map((d) => [d.line, d.errors[0]!.code]).sort()).toEqual([[3, 'filtered'], [4, 'invalid_email'], [5, 'filtered'], [6, 'parse_error']]);

    // the stage dropped: the filtered records pass now; the parse_error row is read again with the file's header
    const r2 = await runCli(['run', '--from-dlq', 'rejects.ndjson', '--to', 'out2.ndjson', '--dlq', 'rejects2.ndjson', '--summary-json', 's.json'], { cwd: tmp.dir });
    expect(r2.code, r2.stderr).toBe(0);
    expect(idsOf(join(tmp.dir, 'out2.ndjson')).sort()).toEqual(['C2', 'C4']);
    const again = deadLines(join(tmp.dir, 'rejects2.ndjson'));
    const lineIn = (id: number): number => first.findIndex((d) => d.line === id) + 1;
    expect(again).toHaveLength(2);
    const email = again.find((d) => d.line === 4)!;
    expect(email).toMatchObject({ source: 'in.csv', line: 4, errors: [{ code: 'invalid_email' }], replay: { file: 'rejects.ndjson', line: lineIn(4) } });
    const parse = again.find((d) => d.line === 6)!;
    expect(parse).toMatchObject({ source: 'in.csv', line: 6, record: 'customer,C5,"e@example.com', replay: { file: 'rejects.ndjson', line: lineIn(6) } });
    expect(parse.errors[0]!.code).toBe('parse_error');
    expect(parse.errors[0]!.message).toMatch(/in\.csv:6: not a valid CSV row.*replayed from rejects\.ndjson:\d/);
    expect(summaryOf(join(tmp.dir, 's.json')).sources[0]).toMatchObject({ name: 'rejects.ndjson', replayed: 4, skipped: 0, notReplayable: 0 });
  });

  it('after fixing the kind: records rejected under a wrong --kind pass without it; numbers pass through as written', async () => {
    tmp = tempDir('recflow-replay-');
    const rec = (id: string, extra = ''): string => `{"kind":"customer","customer_id":"${id}","email":"${id.toLowerCase()}@example.com"${extra}}\n`;
    writeFileSync(join(tmp.dir, 'in.ndjson'), rec('C1', ',"score":1.50') + rec('C2', ',"big":12345678901234567890'));
    const r1 = await runCli(['run', 'in.ndjson', '--kind', 'inventory', '--to', 'out1.ndjson', '--dlq', 'rejects.ndjson'], { cwd: tmp.dir });
    expect(r1.code, r1.stderr).toBe(0);
    expect(deadLines(join(tmp.dir, 'rejects.ndjson'))).toHaveLength(2);
    const r2 = await runCli(['run', '--from-dlq', 'rejects.ndjson', '--to', 'out2.ndjson'], { cwd: tmp.dir });
    expect(r2.code, r2.stderr).toBe(0);
    const out = readFileSync(join(tmp.dir, 'out2.ndjson'), 'utf8');
    expect(idsOf(join(tmp.dir, 'out2.ndjson'))).toEqual(['C1', 'C2']);
    expect(out).toContain('"score":1.50');
    expect(out).toContain('"big":12345678901234567890');
  });

  it('--codes replays only those codes and counts the others as skipped', async () => {
    tmp = tempDir('recflow-replay-');
    writeFileSync(join(tmp.dir, 'in.csv'), csv);
    await runCli(['run', 'in.csv', '--stage', 'filter:expr=country == "DE",on_drop=reject', '--to', 'out1.ndjson', '--dlq', 'rejects.ndjson'], { cwd: tmp.dir });
    const r = await runCli(['run', '--from-dlq', 'rejects.ndjson', '--codes', 'filtered', '--to', 'out2.ndjson', '--dlq', 'rejects2.ndjson', '--summary-json', 's.json'], { cwd: tmp.dir });
    expect(r.code, r.stderr).toBe(0);
    expect(idsOf(join(tmp.dir, 'out2.ndjson')).sort()).toEqual(['C2', 'C4']);
    expect(readFileSync(join(tmp.dir, 'rejects2.ndjson'), 'utf8')).toBe('');
    expect(summaryOf(join(tmp.dir, 's.json')).sources[0]).toMatchObject({ replayed: 2, skipped: 2 });
    expect(r.stderr).toMatch(/2 line\(s\) replayed, 2 skipped/);
  });

  it('parse_error lines: NDJSON text fixed with jq is parsed; a CSV row whose file is gone is kept, not replayable', async () => {
    tmp = tempDir('recflow-replay-');
    writeFileSync(join(tmp.dir, 'in.ndjson'), '{"kind":"customer","customer_id":"C7","email":"g@example.com"\n');
    writeFileSync(join(tmp.dir, 'in.csv'), csv);
    await runCli(['run', 'in.ndjson', 'in.csv', '--to', 'out1.ndjson', '--dlq', 'rejects.ndjson'], { cwd: tmp.dir });
    const lines = deadLines(join(tmp.dir, 'rejects.ndjson'));
    expect(lines.map((d) => d.errors[0]!.code)).toEqual(['parse_error', 'invalid_email', 'parse_error']);
    // the user fixes the broken NDJSON text (as `jq` would) and deletes the CSV file
    lines[0]!.record = `${lines[0]!.record as string}}`;
    writeFileSync(join(tmp.dir, 'rejects.ndjson'), lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
    rmSync(join(tmp.dir, 'in.csv'));
    const r = await runCli(['run', '--from-dlq', 'rejects.ndjson', '--to', 'out2.ndjson', '--dlq', 'rejects2.ndjson', '--summary-json', 's.json'], { cwd: tmp.dir });
    expect(r.code, r.stderr).toBe(0);
    expect(idsOf(join(tmp.dir, 'out2.ndjson'))).toEqual(['C7']);
    const kept = deadLines(join(tmp.dir, 'rejects2.ndjson'));
    expect(kept).toHaveLength(2);
    const row = kept.find((d) => d.line === 6)!;
    expect(row.errors).toEqual(lines[2]!.errors); // its original errors, nothing lost
    expect(row.replay).toMatchObject({ file: 'rejects.ndjson', line: 3, not_replayable: expect.stringMatching(/header of its original file/) });
    expect(summaryOf(join(tmp.dir, 's.json')).sources[0]).toMatchObject({ replayed: 2, notReplayable: 1 });
    expect(r.stderr).toMatch(/1 not replayable \(kept in the dead-letter output\)/);
  });

  it('usage errors exit 2 before anything is written', async () => {
    tmp = tempDir('recflow-replay-');
    writeFileSync(join(tmp.dir, 'rejects.ndjson'), '');
    writeFileSync(join(tmp.dir, 'in.csv'), csv);
    const both = await runCli(['run', '--from-dlq', 'rejects.ndjson', 'in.csv', '--to', 'o.ndjson'], { cwd: tmp.dir });
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/--from-dlq replaces the source arguments/);
    const codes = await runCli(['run', 'in.csv', '--codes', 'filtered', '--to', 'o.ndjson'], { cwd: tmp.dir });
    expect(codes.code).toBe(2);
    expect(codes.stderr).toMatch(/--codes applies to --from-dlq only/);
    const same = await runCli(['run', '--from-dlq', 'rejects.ndjson', '--dlq', 'rejects.ndjson'], { cwd: tmp.dir });
    expect(same.code).toBe(2);
    expect(same.stderr).toMatch(/both an input and an output/);
    const gone = await runCli(['run', '--from-dlq', 'nope.ndjson', '--to', 'o.ndjson'], { cwd: tmp.dir });
    expect(gone.code).toBe(2);
    expect(gone.stderr).toMatch(/nope\.ndjson/);
    expect(() => readFileSync(join(tmp.dir, 'o.ndjson'))).toThrow();
  });
});
