// `run --dry-run`: the resolved pipeline, printed in the shape of a config file
// (so it can be saved and reused), with where each value came from. Checks
// sources exist and stages build (user stage modules only parse: they are not run);
// reads no data, writes nothing, never prints secrets.
import { stat } from 'node:fs/promises';
import type { Command } from 'commander';
import { glob, isDynamicPattern } from 'tinyglobby';
import YAML from 'yaml';
import { useContracts } from '../contract/contracts.js';
import { RecflowError } from '../errors.js';
import { parseKafkaAddress } from '../kafka/address.js';
import { redactAddress } from '../redact.js';
import { checkScheme } from '../sinks/output-names.js';
import type { PipelinePlan } from '../stages/plan.js';
import type { Origin, ResolvedRun } from './resolve.js';

const SECRET_RE = /token|password|passwd|secret|passphrase|credential|api_?key|auth/i;
const NOT_SHOWN = new Set(['help', 'version', 'config', 'dryRun', 'stage']);

/** Secrets (by name) never print; neither do a URL's user:password and query string, nor header values. */
export function redact(key: string, v: unknown): unknown {
  if (SECRET_RE.test(key) && !/(file|path)$/i.test(key) && v !== undefined && v !== null && v !== '') return '<redacted>';
  if (key === 'header' && Array.isArray(v)) return v.map((h) => `${String(h).split(':')[0]!.trim()}: <redacted>`);
  if (typeof v === 'string') return redactAddress(v);
  if (v && typeof v === 'object' && !Array.isArray(v)) {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, redact(k, x)]));
  }
  return v;
}

async function expandSources(sources: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const s of sources) {
    if (s === '-' || /^kafka:\/\//i.test(s)) {
      out.push(s);
      continue;
    }
    const exists = await stat(s).then((st) => st, () => null);
    if (exists?.isDirectory()) throw new RecflowError('input', `cannot read ${s}: it is a directory; give files or a glob like '${s}/*.csv'`);
    if (exists) out.push(s);
    else if (isDynamicPattern(s)) {
      const hits = await glob(s, { onlyFiles: true, expandDirectories: false });
      if (hits.length === 0) throw new RecflowError('input', `no files match the pattern '${s}'; check the path or quote the pattern`);
      out.push(...hits.sort());
    } else throw new RecflowError('input', `cannot read ${s}: file not found; check the path`);
  }
  return out;
}

/** What the run would refuse about its sink, refused here too (before anything is printed). */
async function checkSink(opts: Record<string, unknown>, sources: string[]): Promise<void> {
  for (const s of sources) checkScheme(s, 'source');
  const to = typeof opts.to === 'string' ? opts.to : undefined;
  // the Kafka options are checked as the run checks them (`--max-duration 0` is exit 2 here too)
  if ([...sources, to ?? ''].some((s) => /^kafka:\/\//i.test(s))) (await import('../kafka/options.js')).parseKafkaOptions(opts, process.env);
  if (to === undefined || to === '-') return;
  checkScheme(to, 'sink');
  if (/^https?:\/\//i.test(to)) (await import('../sinks/http/options.js')).parseHttpSinkOptions(to, opts, process.env);
  else if (/^kafka:\/\//i.test(to)) parseKafkaAddress(to, { allowKind: true });
}

export async function dryRun(cmd: Command, run: ResolvedRun, plan: PipelinePlan): Promise<string> {
  const opts = cmd.opts<Record<string, unknown>>();
  // the run loads its contract files before it reads anything: a bad one fails the dry run the same way (exit 2)
  await useContracts(opts.contract as string[] | undefined, opts.kind as string | undefined);
  await checkSink(opts, run.sources);
  const obj: Record<string, unknown> = {
    sources: await expandSources(run.sources),
    stages: plan.described.map((s) => ({ name: s.name, options: redact('', s.options) })),
  };
  const origins: Record<string, Origin> = { sources: run.origins.sources!, stages: run.origins.stages! };
  for (const o of cmd.options) {
    const attr = o.attributeName();
    if (NOT_SHOWN.has(attr) || attr in obj || opts[attr] === undefined) continue;
    obj[attr] = redact(attr, opts[attr]);
    origins[attr] = run.origins[attr] ?? 'default';
  }
  const from = (o: Origin): string => (o === 'config' ? `config ${run.config?.file}` : o === 'env' ? 'environment' : o);
  if (run.config?.file.toLowerCase().endsWith('.json')) return JSON.stringify(obj, null, 2) + '\n';
  const doc = new YAML.Document(obj);
  doc.commentBefore =
    ' recflow run --dry-run: the resolved pipeline; nothing was read or written.\n' +
    ' Precedence: flag > environment (RECFLOW_*) > config file > default. Save this as a config file to reuse it.';
  for (const pair of (doc.contents as YAML.YAMLMap).items) {
    const key = String((pair.key as YAML.Scalar).value);
    const note = ` from ${from(origins[key] ?? 'default')}`;
    if (YAML.isScalar(pair.value)) pair.value.comment = note;
    else (pair.key as YAML.Scalar).commentBefore = note;
  }
  plan.described.forEach((s, i) => {
    const name = doc.getIn(['stages', i, 'name'], true);
    if (s.note && YAML.isScalar(name)) name.comment = ` ${s.note}`;
  });
  return doc.toString({ lineWidth: 0 });
}
