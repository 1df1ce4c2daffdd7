// The output planner: before anything is written, every output path (the file
// sink and each of its {kind} files, --dlq, --summary-json, --report-json) is
// expanded, resolved to the file it will really be, and checked against the
// inputs and the other outputs; then missing folders are created. Identity is by
// device+inode for files that exist (symlinks and hard links included) and by the
// real parent path + name for files that do not yet, so `./x`, `../d/x` and a
// symlinked folder all count as the same file.
import { accessSync, constants, lstatSync, mkdirSync, readlinkSync, realpathSync, statSync, type Stats } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { RecflowError } from '../errors.js';
import { checkScheme, checkTemplates, expandPath, runStamp, schemeOf, type RunStamp } from './output-names.js';

export { checkScheme, isPlainName, runStamp, type RunStamp } from './output-names.js';

export interface OutputRequest {
  /** The option that names it, for messages: '--to', '--dlq', '--summary-json', '--report-json'. */
  arg: string;
  /** As given; '-' is stdout. */
  path: string;
  /** The file sink: `{kind}` splits it into one file per kind. */
  sink?: boolean;
}

export interface PlanRequest {
  /** Source names as opened (files); '-', kafka and anything that is not a file are skipped. Or later: checkInputs(). */
  inputs?: readonly string[];
  /** Outputs; undefined entries (an option not given) are skipped. */
  outputs: readonly (OutputRequest | undefined)[];
  /** The kinds a `{kind}` sink is planned for (default: customer, inventory, unknown, as the file sink writes). */
  kinds?: readonly string[];
  /** Refuse to replace an existing file. */
  noClobber?: boolean;
  /** Date, time and run id; default: now. */
  stamp?: RunStamp;
}

/** One file the run may write, after template expansion. */
export interface PlannedFile {
  arg: string;
  /** The path to open (templates expanded). */
  path: string;
  kind?: string;
  /** For messages: `--to out/{kind}.ndjson (customer: out/customer.ndjson)`. */
  label: string;
}

export interface OutputPlan {
  readonly runId: string;
  readonly stamp: RunStamp;
  readonly files: readonly PlannedFile[];
  /** `arg`'s path with templates expanded ('-' for stdout; the sink's `{kind}` kept), or undefined. */
  path(arg: string): string | undefined;
  /** Any planned path as given → as written: `{date}`, `{time}`, `{run}` replaced ('-' stays). */
  expand(path: string): string;
  /** Refuses (usage error) an input that is one of the outputs; call once the sources are known. */
  checkInputs(names: readonly string[]): void;
  /** mkdir -p the folders of every output; a usage error naming the folder when one cannot be made. */
  makeFolders(): void;
  /**
   * The file the sink writes records of `kind` to (its one file when not split).
   * A kind not planned up front is checked when first asked for; a kind that is
   * not a plain name, or whose file would be an input or another output, throws
   * RecflowError('sink').
   */
  pathFor(kind: string): string;
}

const DEFAULT_KINDS = ['customer', 'inventory', 'unknown'] as const;

/** What a path will be once written: the file it lands in and the key it is compared by. */
interface Identity {
  /** `dev:ino` of an existing regular file, `path:<real path>` of a missing one, null when not compared (devices, pipes). */
  key: string | null;
  /** An existing regular file (would be replaced). */
  exists: boolean;
  dir: boolean;
  /** Where the data lands: the path itself, or the target of a dangling symlink. */
  landing: string;
}

const errno = (err: unknown): string => (err as NodeJS.ErrnoException).code ?? 'error';
const usage = (message: string): RecflowError => new RecflowError('usage', message);

function statOrNull(path: string): Stats | null {
  try {
    return statSync(path);
  } catch (err) {
    if (errno(err) === 'ELOOP') throw usage(`${path}: too many levels of symbolic links`);
    return null;
  }
}

/** Real path of a file that does not exist: realpath of the nearest existing folder + the rest. */
function realMissing(path: string): string {
  const rest: string[] = [basename(path)];
  let dir = dirname(path);
  for (;;) {
    try {
      return join(realpathSync(dir), ...rest);
    } catch {
      if (dirname(dir) === dir) return resolve(path);
      rest.unshift(basename(dir));
      dir = dirname(dir);
    }
  }
}

function identifyStats(st: Stats, path: string): Identity {
  const compared = st.isFile() || st.isDirectory();
  return { key: compared ? `${st.dev}:${st.ino}` : null, exists: st.isFile(), dir: st.isDirectory(), landing: path };
}

function identify(path: string, depth = 0): Identity {
  const st = statOrNull(path);
  if (st) return identifyStats(st, path);
  // A dangling symlink: writing creates its target, so the target is what counts.
  let link: Stats | null = null;
  try {
    link = lstatSync(path);
  } catch {
    // missing
  }
  if (link?.isSymbolicLink() && depth < 40) return identify(resolve(dirname(path), readlinkSync(path)), depth + 1);
  // `missing/../x` fails to stat today but is x once mkdir -p made `missing`.
  const real = realMissing(path);
  const later = statOrNull(real);
  if (later) return identifyStats(later, path);
  return { key: `path:${real}`, exists: false, dir: false, landing: path };
}

/** The nearest existing ancestor of `dir` when it is not a folder (what blocks mkdir -p). */
function blockingFile(dir: string): string | null {
  for (let p = dir; ; p = dirname(p)) {
    const st = statOrNull(p);
    if (st) return st.isDirectory() ? null : p;
    if (dirname(p) === p) return null;
  }
}

/**
 * Checks, writing nothing, that the folder `landing` goes in exists or can be made
 * (its nearest existing ancestor is a folder) and can be written.
 */
function checkFolder(landing: string, label: string, exists: boolean, err: (m: string) => RecflowError): void {
  const dir = dirname(landing);
  let base = dir;
  let st = statOrNull(base);
  while (!st && dirname(base) !== base) st = statOrNull((base = dirname(base)));
  if (st && !st.isDirectory()) throw err(`cannot create the folder ${dir} for ${label}: ${base} is a file, not a folder; choose another path`);
  try {
    accessSync(base, constants.W_OK | constants.X_OK);
    // ENOENT: reached through a folder still to be made (`missing/../x`)
    if (exists) accessSync(landing, constants.W_OK);
  } catch (e) {
    if (errno(e) === 'ENOENT') return;
    const what = exists ? `${landing} is not writable` : `the folder ${base} is not writable`;
    throw err(`cannot write ${label}: ${what} (${errno(e)}); check the permissions or choose another path`);
  }
}

/** mkdir -p the folder a file lands in; an error naming it when that fails after all. */
function makeFolder(landing: string, label: string, err: (m: string) => RecflowError): void {
  const dir = dirname(landing);
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    const blocker = blockingFile(dir);
    const why = blocker ? `${blocker} is a file, not a folder` : `${errno(e)}`;
    throw err(`cannot create the folder ${dir} for ${label}: ${why}; choose another path`);
  }
}

interface Target extends PlannedFile {
  id: Identity;
}

const bothMessage = (output: string, input: string): string =>
  `${output} is the same file as the input ${input}: it is both an input and an output; write to another file`;

/** Outputs and inputs seen so far, by identity, with the words that name them. */
class Taken {
  private readonly byKey = new Map<string, { label: string; input: boolean }>();

  /** Records an input, or returns why it cannot be one (it is an output). */
  addInput(name: string): string | null {
    if (name === '-' || schemeOf(name) !== null) return null; // stdin, kafka
    const st = statOrNull(name);
    if (!st?.isFile()) return null;
    const key = `${st.dev}:${st.ino}`;
    const other = this.byKey.get(key);
    if (other && !other.input) return bothMessage(other.label, name);
    this.byKey.set(key, { label: name, input: true });
    return null;
  }

  /** Claims `t`'s file, or returns why it cannot. */
  claim(t: { label: string; id: Identity }, key = t.id.key): string | null {
    if (key === null) return null;
    const other = this.byKey.get(key);
    if (other?.input) return bothMessage(t.label, other.label);
    if (other && key === 'stdout') return `${other.label} and ${t.label} both write to stdout; give one of them a file name`;
    if (other) return `${other.label} and ${t.label} are the same file; give each output its own file`;
    this.byKey.set(key, { label: t.label, input: false });
    return null;
  }
}

function labelOf(req: OutputRequest, path: string, kind?: string): string {
  if (kind !== undefined) return `${req.arg} ${req.path} (${kind}: ${path})`;
  return path === req.path ? `${req.arg} ${req.path}` : `${req.arg} ${req.path} (${path})`;
}

/** The files one request stands for: one per kind for a `{kind}` sink. */
function expand(req: OutputRequest, stamp: RunStamp, kinds: readonly string[]): Target[] {
  if (req.path === '') throw usage(`${req.arg}: the path is empty; give a file name`);
  const scheme = schemeOf(req.path);
  if (scheme !== null) {
    if (req.sink) checkScheme(req.path, 'sink');
    throw usage(`${req.arg} writes a file or '-'; ${scheme}:// is not supported there`);
  }
  checkTemplates(req.arg, req.path, Boolean(req.sink));
  if (req.path === '-') return [{ arg: req.arg, path: '-', label: `${req.arg} -`, id: { key: 'stdout', exists: false, dir: false, landing: '-' } }];
  const split = req.sink === true && req.path.includes('{kind}');
  return (split ? kinds : [undefined]).map((kind) => {
    const path = expandPath(req.path, stamp, kind);
    return { arg: req.arg, path, kind, label: labelOf(req, path, kind), id: identify(path) };
  });
}

function checkTarget(t: Target, taken: Taken, noClobber: boolean, err: (m: string) => RecflowError): void {
  if (t.id.dir) throw err(`${t.label} is a folder; give a file name inside it`);
  const clash = taken.claim(t);
  if (clash) throw err(clash);
  if (noClobber && t.id.exists) {
    throw err(`${t.label} already exists and --no-clobber is set; remove it, choose another name (e.g. with {run}) or drop --no-clobber`);
  }
}

/**
 * Plans every output of a run, writing nothing; throws RecflowError('usage') (exit 2)
 * when an output is an input, two outputs are one file, a folder cannot be created
 * or written, a path has an unsupported scheme or template, or --no-clobber meets an
 * existing file. Call it before any input is read; then checkInputs() once the
 * sources are known, and makeFolders() before the outputs open.
 */
export function planOutputs(req: PlanRequest): OutputPlan {
  const stamp = req.stamp ?? runStamp();
  const kinds = req.kinds ?? DEFAULT_KINDS;
  const noClobber = Boolean(req.noClobber);
  const taken = new Taken();
  const requests = req.outputs.filter((o): o is OutputRequest => o !== undefined);
  const targets = requests.flatMap((r) => expand(r, stamp, kinds));
  for (const t of targets) checkTarget(t, taken, noClobber, usage);
  for (const t of targets) if (t.path !== '-') checkFolder(t.id.landing, t.label, t.id.exists, usage);
  const checkInputs = (names: readonly string[]): void => {
    for (const name of names) {
      const clash = taken.addInput(name);
      if (clash) throw usage(clash);
    }
  };
  checkInputs(req.inputs ?? []);

  const sinkReq = requests.find((r) => r.sink && r.path !== '-');
  const byKind = new Map(targets.filter((t) => t.kind !== undefined).map((t) => [t.kind!, t.path]));
  const sinkErr = (m: string): RecflowError => new RecflowError('sink', m);
  return {
    runId: stamp.run,
    stamp,
    files: targets.map(({ arg, path, kind, label }) => ({ arg, path, kind, label })),
    checkInputs,
    makeFolders() {
      for (const t of targets) if (t.path !== '-') makeFolder(t.id.landing, t.label, usage);
    },
    expand: (path) => (path === '-' ? path : expandPath(path, stamp)),
    path(arg) {
      const r = requests.find((o) => o.arg === arg);
      return r && (r.path === '-' ? '-' : expandPath(r.path, stamp));
    },
    pathFor(kind) {
      if (!sinkReq) throw new Error('pathFor: no file sink was planned');
      if (!sinkReq.path.includes('{kind}')) return expandPath(sinkReq.path, stamp);
      const known = byKind.get(kind);
      if (known !== undefined) return known;
      // A kind met only now (a stage set it): the same checks, as a sink failure.
      const path = expandPath(sinkReq.path, stamp, kind);
      const t: Target = { arg: sinkReq.arg, path, kind, label: labelOf(sinkReq, path, kind), id: identify(path) };
      checkTarget(t, taken, noClobber, sinkErr);
      checkFolder(t.id.landing, t.label, t.id.exists, sinkErr);
      makeFolder(t.id.landing, t.label, sinkErr);
      byKind.set(kind, path);
      return path;
    },
  };
}
