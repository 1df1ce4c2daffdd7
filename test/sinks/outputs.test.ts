// The output planner (src/sinks/outputs.ts): identity of inputs and outputs,
// folders, --no-clobber, templates, plain names and URL schemes. Unit tests on a temp dir.
import { chmodSync, existsSync, linkSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RecflowError } from '../../src/errors.js';
import { checkTemplates, expandPath, templatesIn } from '../../src/sinks/output-names.js';
import { checkScheme, isPlainName, planOutputs, runStamp, type PlanRequest } from '../../src/sinks/outputs.js';
import { tempDir } from '../support/cli.js';

let dir: string;
let cleanup: () => void;
let n = 0;
/** A fresh sub-folder per case, so cases do not see each other's files. */
const fresh = (): string => {
  const d = join(dir, `case-${n++}`);
  mkdirSync(d);
  return d;
};
beforeAll(() => ({ dir, cleanup } = tempDir('recflow-outputs-')));
afterAll(() => cleanup());

const STAMP = runStamp(new Date(Date.UTC(2026, 0, 2, 3, 4, 5)), 'ab12');

function usageOf(f: () => unknown): RecflowError {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(RecflowError);
    expect((err as RecflowError).code).toBe('usage');
    return err as RecflowError;
  }
  throw new Error('expected a usage error');
}

describe('isPlainName', () => {
  it.each([
    ['customer', true],
    ['inventory', true],
    ['a-b_c.1', true],
    ['Ünïcode', true],
    ['', false],
    ['a/b', false],
    ['/abs', false],
    ['a\\b', false],
    ['..', false],
    ['a..b', false],
    ['../x', false],
    ['.hidden', false],
    ['.', false],
    ['a\0b', false],
  ])('%j → %s', (v, plain) => expect(isPlainName(v)).toBe(plain));

  it('non-strings are not names', () => {
    for (const v of [undefined, null, 1, {}, ['a']]) expect(isPlainName(v)).toBe(false);
  });

  it('a plain name expanded into {kind} never leaves the folder and is the whole file name (fast-check)', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 0, maxLength: 12, unit: 'binary' }), (v) => {
        if (!isPlainName(v)) {
          expect(() => expandPath('out/{kind}', STAMP, v)).toThrow(RecflowError);
          return;
        }
        const p = expandPath('out/{kind}', STAMP, v);
        expect(dirname(p)).toBe('out');
        expect(relative('out', p)).toBe(v);
      }),
    );
  });

  it('anything holding a separator, NUL or .. is never plain (fast-check)', () => {
    const bad = fc.constantFrom('/', '\\', '\0', '..');
    fc.assert(fc.property(fc.string(), bad, fc.string(), (a, b, c) => !isPlainName(a + b + c)));
  });
});

describe('checkScheme', () => {
  it.each([
    ['data.csv', 'source', null],
    ['-', 'source', null],
    ['kafka://h:9092/t', 'source', null],
    ['KAFKA://h:9092/t', 'source', null],
    ['C:\\data\\x.csv', 'source', null],
    ['s3://b/k', 'source', 's3'],
    ['http://h/x', 'source', 'http'],
    ['ftp://x/y', 'sink', 'ftp'],
    ['s3://b/k', 'sink', 's3'],
    ['gs://b/k', 'sink', 'gs'],
    ['xyz://a', 'sink', 'xyz'],
    ['file:///tmp/x', 'sink', 'file'],
    ['http://h/x', 'sink', null],
    ['HTTPS://h/x', 'sink', null],
    ['kafka://h/t', 'sink', null],
    ['out/{kind}.ndjson', 'sink', null],
  ] as const)('%s as a %s → %s', (arg, role, refused) => {
    if (refused === null) return expect(() => checkScheme(arg, role)).not.toThrow();
    const err = usageOf(() => checkScheme(arg, role));
    expect(err.message).toContain(`unsupported scheme ${refused}://`);
    expect(err.message).toContain("recflow reads files, stdin ('-') and kafka://, and writes files, stdout, http(s):// and kafka://");
  });

  it('quotes only the scheme, never the rest of the URL (credentials)', () => {
    const err = usageOf(() => checkScheme('ftp://user:s3cret@host/x?token=abc', 'sink'));
    expect(err.message).not.toMatch(/s3cret|token|abc|host/);
  });
});

describe('templates', () => {
  it('runStamp: UTC date, time and a run id from the same instant', () => {
    expect(STAMP).toEqual({ date: '2026-01-02', time: '030405', run: '20260102T030405Z-ab12' });
    const live = runStamp();
    expect(live.run).toMatch(/^\d{8}T\d{6}Z-[0-9a-f]{4}$/);
    expect(live.run.slice(0, 8)).toBe(live.date.replaceAll('-', ''));
  });

  it.each([
    ['out/{date}-{kind}.ndjson', 'customer', 'out/2026-01-02-customer.ndjson'],
    ['{run}/{kind}/{time}.gz', 'inventory', '20260102T030405Z-ab12/inventory/030405.gz'],
    ['x-{date}-{date}', undefined, 'x-2026-01-02-2026-01-02'],
    ['keep-{kind}', undefined, 'keep-{kind}'],
    ['plain.ndjson', 'customer', 'plain.ndjson'],
  ])('expandPath(%j, %j) → %j', (path, kind, want) => expect(expandPath(path, STAMP, kind)).toBe(want));

  it.each([
    ['--to', 'out/{data}.ndjson', true, /unknown template \{data\}/],
    ['--dlq', 'rej-{kind}.ndjson', false, /\{kind\} splits only the sink/],
    ['--summary-json', 's-{Run}.json', false, /unknown template \{Run\}/],
  ])('checkTemplates(%s %s) refuses', (arg, path, kindAllowed, why) => {
    expect(usageOf(() => checkTemplates(arg, path, kindAllowed)).message).toMatch(why);
  });

  it('templatesIn lists each name once', () => {
    expect(templatesIn('{kind}/{date}-{kind}-{x}')).toEqual(['kind', 'date', 'x']);
  });
});

describe('planOutputs: identity', () => {
  /** A folder with input c.ndjson and cwd-relative helpers. */
  function setup(): { d: string; input: string } {
    const d = fresh();
    const input = join(d, 'c.ndjson');
    writeFileSync(input, '{"customer_id":"C1"}\n');
    return { d, input };
  }
  const plan = (over: Partial<PlanRequest>): ReturnType<typeof planOutputs> =>
    planOutputs({ inputs: [], outputs: [], stamp: STAMP, ...over });

  it.each([
    ['the same path', (d: string) => join(d, 'c.ndjson')],
    ['./x', (d: string) => relative(process.cwd(), d) + '/./c.ndjson'],
    ['../d/x', (d: string) => (mkdirSync(join(d, 'sub')), `${d}/sub/../c.ndjson`)],
    ['missing/../x', (d: string) => `${d}/missing/../c.ndjson`],
    ['a symlink to it', (d: string) => (symlinkSync(join(d, 'c.ndjson'), join(d, 'link.ndjson')), join(d, 'link.ndjson'))],
    ['a hard link to it', (d: string) => (linkSync(join(d, 'c.ndjson'), join(d, 'hard.ndjson')), join(d, 'hard.ndjson'))],
    ['through a symlinked folder', (d: string) => (symlinkSync(d, join(d, 'alias')), join(d, 'alias', 'c.ndjson'))],
    ['via symlinked folder + ..', (d: string) => (mkdirSync(join(d, 'real', 'deep'), { recursive: true }), symlinkSync(join(d, 'real', 'deep'), join(d, 'jump')), writeFileSync(join(d, 'real', 'c.ndjson'), 'x'), `${d}/jump/../c.ndjson`)],
  ])('an output that is the input (%s) is refused, naming both', (_name, outputOf) => {
    const { d, input } = setup();
    const out = outputOf(d);
    // the ".." case points at real/c.ndjson, which is then the input
    const inputs = out.includes('jump') ? [join(d, 'real', 'c.ndjson')] : [input];
    const err = usageOf(() => plan({ inputs, outputs: [{ arg: '--to', path: out, sink: true }] }));
    expect(err.message).toContain(`--to ${out}`);
    expect(err.message).toContain(`the input ${inputs[0]}`);
    expect(err.message).toMatch(/both an input and an output/);
    expect(readFileSync(inputs[0]!, 'utf8')).not.toBe('');
  });

  it('checkInputs, once the sources are known, refuses the same way', () => {
    const { d, input } = setup();
    const p = plan({ outputs: [{ arg: '--dlq', path: `${d}/./c.ndjson` }] });
    expect(usageOf(() => p.checkInputs(['-', input])).message).toContain(`--dlq ${d}/./c.ndjson is the same file as the input ${input}`);
    expect(() => plan({ outputs: [{ arg: '--dlq', path: join(d, 'other.ndjson') }] }).checkInputs([input])).not.toThrow();
  });

  it('a {kind} sink is checked for every kind: the inventory file being the input is refused', () => {
    const { d } = setup();
    writeFileSync(join(d, 'inventory.ndjson'), '{"sku":"S"}\n');
    const err = usageOf(() =>
      plan({ inputs: [join(d, 'inventory.ndjson')], outputs: [{ arg: '--to', path: join(d, '{kind}.ndjson'), sink: true }] }),
    );
    expect(err.message).toContain(`(inventory: ${join(d, 'inventory.ndjson')})`);
  });

  it('a dangling symlink counts as its target', () => {
    const { d } = setup();
    symlinkSync(join(d, 'target.ndjson'), join(d, 'dangling.ndjson'));
    const err = usageOf(() =>
      plan({
        outputs: [
          { arg: '--to', path: join(d, 'dangling.ndjson'), sink: true },
          { arg: '--dlq', path: join(d, 'target.ndjson') },
        ],
      }),
    );
    expect(err.message).toContain(`--to ${join(d, 'dangling.ndjson')} and --dlq ${join(d, 'target.ndjson')} are the same file`);
  });

  it.each([
    ['--to + --dlq, same name', [['--to', 'same.ndjson'], ['--dlq', 'same.ndjson']], '--to same.ndjson and --dlq same.ndjson'],
    ['--dlq + --summary-json', [['--dlq', 's.json'], ['--summary-json', 's.json']], '--dlq s.json and --summary-json s.json'],
    ['--summary-json + --report-json', [['--summary-json', 'r.json'], ['--report-json', 'sub/../r.json']], '--summary-json r.json and --report-json sub/../r.json'],
    ['a {kind} file + --dlq', [['--to', '{kind}.ndjson'], ['--dlq', 'customer.ndjson']], '--to {kind}.ndjson (customer: customer.ndjson) and --dlq customer.ndjson'],
    ['a {date} file + --dlq', [['--to', 'x-{date}.ndjson'], ['--dlq', 'x-2026-01-02.ndjson']], '--to x-{date}.ndjson (x-2026-01-02.ndjson) and --dlq x-2026-01-02.ndjson'],
    ['two on stdout', [['--to', '-'], ['--summary-json', '-']], '--to - and --summary-json - both write to stdout'],
  ])('two outputs on one file are refused (%s), naming both', (_name, outs, want) => {
    const d = fresh();
    const cwd = process.cwd();
    process.chdir(d); // relative names as a user types them
    try {
      const outputs = outs.map(([arg, path]) => ({ arg: arg!, path: path!, sink: arg === '--to' }));
      expect(usageOf(() => plan({ outputs })).message).toContain(want);
    } finally {
      process.chdir(cwd);
    }
  });

  it('distinct outputs pass, and pathFor gives each kind its file', () => {
    const { d, input } = setup();
    const p = plan({
      inputs: [input, '-', 'kafka://h:9092/t'],
      outputs: [
        { arg: '--to', path: join(d, 'out', '{date}', '{kind}.ndjson.gz'), sink: true },
        { arg: '--dlq', path: join(d, 'rej-{run}.ndjson') },
        { arg: '--summary-json', path: '-' },
        undefined,
      ],
    });
    expect(p.runId).toBe('20260102T030405Z-ab12');
    expect(p.pathFor('customer')).toBe(join(d, 'out', '2026-01-02', 'customer.ndjson.gz'));
    expect(p.pathFor('inventory')).toBe(join(d, 'out', '2026-01-02', 'inventory.ndjson.gz'));
    expect(p.path('--dlq')).toBe(join(d, 'rej-20260102T030405Z-ab12.ndjson'));
    expect(p.path('--to')).toBe(join(d, 'out', '2026-01-02', '{kind}.ndjson.gz'));
    expect(p.path('--summary-json')).toBe('-');
    expect(p.path('--report-json')).toBeUndefined();
    expect(p.expand('r/{date}-{time}-{run}.json')).toBe('r/2026-01-02-030405-20260102T030405Z-ab12.json');
    expect(p.expand('-')).toBe('-');
    expect(p.files.map((f) => f.kind ?? f.arg)).toEqual(['customer', 'inventory', 'unknown', '--dlq', '--summary-json']);
    expect(existsSync(join(d, 'out'))).toBe(false); // planning writes nothing
    p.makeFolders();
    expect(existsSync(join(d, 'out', '2026-01-02'))).toBe(true); // mkdir -p
  });

  it("the input '-' is stdin, not a file named - in the cwd", () => {
    const d = fresh();
    const cwd = process.cwd();
    process.chdir(d);
    try {
      writeFileSync('-', 'old');
      expect(() => plan({ inputs: ['-'], outputs: [{ arg: '--dlq', path: './-' }] })).not.toThrow();
    } finally {
      process.chdir(cwd);
    }
  });

  it('an unsplit sink has one path whatever the kind', () => {
    const d = fresh();
    const p = plan({ outputs: [{ arg: '--to', path: join(d, 'all-{time}.ndjson'), sink: true }] });
    expect(p.pathFor('customer')).toBe(join(d, 'all-030405.ndjson'));
    expect(p.pathFor('all')).toBe(join(d, 'all-030405.ndjson'));
  });

  it('a kind met only during the run: a plain one is planned then, a bad or colliding one is a sink error', () => {
    const d = fresh();
    const p = plan({
      outputs: [
        { arg: '--to', path: join(d, '{kind}.ndjson'), sink: true },
        { arg: '--dlq', path: join(d, 'supplier.ndjson') },
      ],
    });
    expect(p.pathFor('supplies')).toBe(join(d, 'supplies.ndjson'));
    for (const [kind, why] of [['../../etc/x', /not a plain name/], ['supplier', /same file/]] as const) {
      try {
        p.pathFor(kind);
        expect.unreachable(kind);
      } catch (err) {
        expect((err as RecflowError).code, kind).toBe('sink');
        expect((err as Error).message).toMatch(why);
      }
    }
  });

  it('devices are not compared: --to /dev/null and --dlq /dev/null pass', () => {
    expect(() => plan({ outputs: [{ arg: '--to', path: '/dev/null', sink: true }, { arg: '--dlq', path: '/dev/null' }] })).not.toThrow();
  });
});

describe('planOutputs: folders, --no-clobber, paths', () => {
  it('missing folders are created (mkdir -p) by makeFolders, not before', () => {
    const d = fresh();
    const p = planOutputs({ outputs: [{ arg: '--dlq', path: join(d, 'a', 'b', 'c', 'd.ndjson') }] });
    expect(existsSync(join(d, 'a'))).toBe(false);
    p.makeFolders();
    expect(existsSync(join(d, 'a', 'b', 'c'))).toBe(true);
    expect(existsSync(join(d, 'a', 'b', 'c', 'd.ndjson'))).toBe(false); // the planner writes no file
  });

  it.each([
    ['a parent that is a file', (d: string) => join(d, 'file.txt', 'x.ndjson'), (d: string) => `${join(d, 'file.txt')} is a file, not a folder`],
    ['a deeper parent under a file', (d: string) => join(d, 'file.txt', 'a', 'b', 'x.ndjson'), (d: string) => `${join(d, 'file.txt')} is a file, not a folder`],
  ])('%s is exit 2, naming it', (_name, pathOf, whyOf) => {
    const d = fresh();
    writeFileSync(join(d, 'file.txt'), 'x');
    const path = pathOf(d);
    const err = usageOf(() => planOutputs({ inputs: [], outputs: [{ arg: '--to', path, sink: true }] }));
    expect(err.message).toContain(`cannot create the folder ${dirname(path)} for --to ${path}`);
    expect(err.message).toContain(whyOf(d));
  });

  const asRoot = process.getuid?.() === 0;
  if (asRoot) console.log('skipping "a folder that is not writable": root may write any folder (the folder-under-a-file cases above cover the refusal)');
  it.skipIf(asRoot)('a folder that is not writable is exit 2, naming it', () => {
    const d = fresh();
    mkdirSync(join(d, 'ro'));
    chmodSync(join(d, 'ro'), 0o555);
    try {
      const err = usageOf(() => planOutputs({ inputs: [], outputs: [{ arg: '--dlq', path: join(d, 'ro', 'x.ndjson') }] }));
      expect(err.message).toContain(`the folder ${join(d, 'ro')} is not writable`);
    } finally {
      chmodSync(join(d, 'ro'), 0o755);
    }
  });

  it('an output that is a folder is refused', () => {
    const d = fresh();
    const err = usageOf(() => planOutputs({ inputs: [], outputs: [{ arg: '--to', path: d, sink: true }] }));
    expect(err.message).toContain(`--to ${d} is a folder`);
  });

  it('--no-clobber refuses an existing file (any kind of a {kind} sink), and only then', () => {
    const d = fresh();
    writeFileSync(join(d, 'inventory.ndjson'), 'old');
    const outputs = [{ arg: '--to', path: join(d, '{kind}.ndjson'), sink: true }];
    const err = usageOf(() => planOutputs({ inputs: [], outputs, noClobber: true }));
    expect(err.message).toContain(`(inventory: ${join(d, 'inventory.ndjson')}) already exists and --no-clobber is set`);
    expect(() => planOutputs({ inputs: [], outputs })).not.toThrow();
    expect(() => planOutputs({ inputs: [], outputs: [{ arg: '--dlq', path: join(d, 'new.ndjson') }], noClobber: true })).not.toThrow();
    expect(() => planOutputs({ inputs: [], outputs: [{ arg: '--dlq', path: '/dev/null' }], noClobber: true })).not.toThrow();
    expect(readFileSync(join(d, 'inventory.ndjson'), 'utf8')).toBe('old');
  });

  it.each([
    [{ arg: '--to', path: 'ftp://x/y', sink: true }, /unsupported scheme ftp:\/\//],
    [{ arg: '--to', path: 's3://b/k', sink: true }, /unsupported scheme s3:\/\//],
    [{ arg: '--dlq', path: 'http://h/x' }, /--dlq writes a file or '-'; http:\/\/ is not supported there/],
    [{ arg: '--summary-json', path: '' }, /--summary-json: the path is empty/],
    [{ arg: '--to', path: 'out/{day}.ndjson', sink: true }, /unknown template \{day\}/],
    [{ arg: '--dlq', path: 'd-{kind}.ndjson' }, /\{kind\} splits only the sink/],
  ])('refused before anything: %j', (out, why) => {
    expect(usageOf(() => planOutputs({ inputs: [], outputs: [out] })).message).toMatch(why);
  });
});
