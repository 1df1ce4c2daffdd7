// User stages: `--stage ./my-stage.mjs[:k=v]` loads a module that exports (as
// default or as `stage`) either a Stage object `{ name, process(records) }` or a
// definition `{ name, options?, create(options, ctx) }` (options: a zod schema or
// anything with safeParse). Every problem is a config error (exit 2) before any output.
// A stage module is trusted code: importing it runs it with recflow's rights, so
// `--dry-run` never imports it (checkUserStage only parses it in a separate process).
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { basename, isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { RecflowError } from '../errors.js';
import type { Rec, Rejected, Stage, StageResult } from '../pipeline/types.js';
import { rejectOf, type StageContext } from './define.js';

const SHAPE =
  'it must export (as default or as `stage`) an object { name, process(records) } or a definition { name, create(options) }';

type SafeParse = { safeParse(v: unknown): { success: true; data: unknown } | { success: false; error: { issues: { path: (string | number)[]; message: string }[] } } };

/** The first line of an error message. */
function why(err: unknown): string {
  return String((err as Error)?.message ?? err).split('\n')[0]!;
}

/** `node --check`: parses the module (ESM or CommonJS, as Node would take it) without running any of it. */
function nodeCheck(path: string): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, ['--check', path], { encoding: 'utf8', timeout: 10_000 });
}

/** ` at file:line` from `node --check`'s output: the first such line, not one of Node's own (`node:internal/...`). */
function whereIn(stderr: string): string {
  const line = /^((?!node:)\S.*:\d+)$/m.exec(stderr)?.[1];
  return line ? ` at ${line}` : '';
}

/** Node 20 does not say where an ESM syntax error is; `node --check` does (only run on that failure path). */
const syntaxWhere = (path: string): string => whereIn(nodeCheck(path).stderr ?? '');

const tsHint = (path: string): string => (/\.m?ts$/.test(path) ? ' (compile TypeScript stages to .js/.mjs first)' : '');

type Fail = (reason: string, cause?: unknown) => never;

function failer(spec: string, ctx: StageContext): Fail {
  return (reason, cause) => {
    throw new RecflowError('config', `${ctx.where}: cannot load stage ${spec}: ${reason}; ${SHAPE}`, { cause });
  };
}

/** The module's absolute path, once it is known to be a readable file. */
function locate(spec: string, baseDir: string, fail: Fail): string {
  const path = isAbsolute(spec) ? spec : resolve(baseDir, spec);
  const st = statSync(path, { throwIfNoEntry: false });
  if (!st) return fail(`file not found (${path})`);
  if (!st.isFile()) return fail(`it is not a file (${path})`);
  try {
    accessSync(path, constants.R_OK);
  } catch (err) {
    fail(`cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? 'error'})`, err);
  }
  return path;
}

/**
 * For --dry-run: the module is a readable file that parses, checked by a separate
 * `node --check`, so none of its code runs (a stage module is code: importing it
 * runs its top level). Its exports and options are checked only by a real run.
 */
export function checkUserStage(spec: string, baseDir: string, ctx: StageContext): void {
  const fail = failer(spec, ctx);
  const path = locate(spec, baseDir, fail);
  const res = nodeCheck(path);
  if (res.error) fail(`could not check it (${res.error.message})`, res.error);
  if (res.status === 0) return;
  const stderr = res.stderr ?? '';
  const error = /^(\w*Error)(?: \[\w+\])?: (.+)$/m.exec(stderr);
  const message = error?.[2] ?? `node --check exited ${res.status ?? res.signal}`;
  fail(`${message}${error?.[1] === 'SyntaxError' ? whereIn(stderr) : ''}${tsHint(path)}`);
}

export async function loadUserStage(spec: string, opts: Record<string, unknown>, baseDir: string, ctx: StageContext): Promise<{ stage: Stage; options: Record<string, unknown> }> {
  const fail = failer(spec, ctx);
  const path = locate(spec, baseDir, fail);
  let mod: Record<string, unknown> = {};
  try {
    mod = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
  } catch (err) {
    fail(why(err) + (err instanceof SyntaxError ? syntaxWhere(path) : '') + tsHint(path), err);
  }
  const c = (mod.default ?? mod.stage) as Record<string, unknown> | undefined;
  if (c === null || typeof c !== 'object') return fail('it has no default export and no `stage` export');
  let stage: Stage | undefined;
  let options = opts;
  if (typeof c.create === 'function') {
    const schema = c.options as SafeParse | undefined;
    if (schema && typeof schema.safeParse === 'function') {
      const res = schema.safeParse(opts);
      if (!res.success) {
        const msgs = res.error.issues.map((i) => `${i.path.length ? ctx.option(i.path.join('.')) : ctx.where}: ${i.message}`);
        throw new RecflowError('config', msgs.join('\n'));
      }
      options = res.data as Record<string, unknown>;
    }
    try {
      stage = (await (c.create as (o: unknown, x: StageContext) => Stage | Promise<Stage>)(options, ctx)) ?? undefined;
    } catch (err) {
      if (err instanceof RecflowError) throw err;
      fail(`create() failed: ${why(err)}`, err);
    }
    if (!stage || typeof stage.process !== 'function') fail('create() did not return an object with process(records)');
  } else if (typeof c.process === 'function') {
    if (Object.keys(opts).length > 0) {
      throw new RecflowError('config', `${ctx.where}: stage ${spec} takes no options (it exports a stage object, not a definition with create(options))`);
    }
    stage = c as unknown as Stage;
  } else fail('its export has neither process() nor create()');
  const name = typeof stage!.name === 'string' && stage!.name ? stage!.name : basename(spec);
  // `parallel: true` (on the definition or the stage) promises a stateless stage: built in every worker thread
  const parallel = stage!.parallel === true || c.parallel === true;
  return { stage: guarded(stage!, name, parallel), options };
}

const isRec = (r: unknown): boolean => typeof r === 'object' && r !== null && typeof (r as Rec).value === 'object' && (r as Rec).value !== null;
const isRejected = (r: unknown): boolean => typeof r === 'object' && r !== null && Array.isArray((r as Rejected).errors);

/** A user stage that throws or returns a wrong shape sends the batch to the dead-letter output (stage_error) instead of crashing the run. */
function guarded(stage: Stage, name: string, parallel: boolean): Stage {
  const run = async (call: () => StageResult | Promise<StageResult>, records: Rec[], atEnd = false): Promise<StageResult> => {
    const fail = (msg: string): StageResult => ({ kept: [], rejected: records.map((r) => rejectOf(r, name, 'stage_error', null, msg)) });
    let res: StageResult;
    try {
      res = await call();
    } catch (err) {
      // in flush() there is no batch to dead-letter: what the stage held is lost, so the run fails
      if (atEnd) throw new RecflowError('stage', `stage ${name} failed at the end of the input: ${why(err)}`, { cause: err });
      return fail(`failed: ${why(err)}`);
    }
    if (!res || !Array.isArray(res.kept) || !Array.isArray(res.rejected) || !res.kept.every(isRec) || !res.rejected.every(isRejected)) {
      return fail('returned something other than { kept: records, rejected: [{ ..., errors: [...] }] }');
    }
    return res;
  };
  return {
    name,
    ...(parallel ? { parallel: true } : {}),
    process: (records) => run(() => stage.process(records), records),
    flush: stage.flush ? () => run(() => stage.flush!.call(stage), [], true) : undefined,
    close: stage.close ? () => stage.close!.call(stage) : undefined,
  };
}
