// The issue-14 file cases, on two 1M-row customer CSVs made two ways (`recflow generate`
// and bench/other-customers.py): Miller's plain conversion, DuckDB's plain conversion,
// and per recflow build the contract alone, the 5-stage pipeline and a dedupe pipeline.
import { join } from 'node:path';
import { countryReference, fiveStages, generatedCustomers, otherCustomers } from './data.mjs';
import { ensureDuck } from './duck.mjs';
import { have, median, q } from './measure.mjs';

// Miller 6 stops at a row with more cells than the header; the other file has some
// (~0.1%, recflow's parse_error). DuckDB's dialect sniffer gives up on the same rows.
const MLR_RAGGED = '--allow-ragged-csv-input';
const DUCK_DIALECT = '--dialect'; // bench/duck.mjs: delim, quote, escape, null_padding

/** @returns {{ list: object[], sets: object[], notes: string[], rowsOf: (c: object) => number }} */
export function engineCases({ root, builds, rows, seed, dir }) {
  const notes = [];
  const gen = generatedCustomers(builds[0], rows, seed, dir);
  const other = otherCustomers(root, builds[0], rows, seed, dir);
  const sets = [
    { name: 'generate', path: gen.path, how: gen.how, records: rows, mlr: '', duck: '' },
    { name: 'other-customers.py', path: other.path, how: other.how, records: other.check.read, mlr: ` ${MLR_RAGGED}`, duck: DUCK_DIALECT, check: other.check },
  ];
  const ref = countryReference(dir);
  const duck = ensureDuck(root);
  if (!duck.ok) notes.push(duck.note);
  const haveMlr = have('mlr');
  if (!haveMlr) notes.push('Miller skipped: `mlr` not installed (Debian: `apt-get install miller`); no "vs Miller" ratios');
  const list = [];
  const dlq = join(dir, 'dlq.ndjson');
  const summary = join(dir, 'summary.json');
  for (const ds of sets) {
    const group = ds.name;
    if (haveMlr) list.push({ group, name: 'Miller: mlr --icsv --ojsonl cat', anchor: 'miller', shell: `mlr --icsv --ojsonl${ds.mlr} cat ${q(ds.path)}` });
    if (duck.ok) list.push({ group, name: `DuckDB ${duck.version}: read_csv → JSON`, anchor: 'duck', shell: `${q(process.execPath)} ${q(join(root, 'bench', 'duck.mjs'))} ${q(ds.path)} /dev/null${ds.duck ? ` ${ds.duck}` : ''}` });
    const pipelines = [
      ['contract only', ''],
      ['5 stages', fiveStages(ref).map((s) => ` --stage ${q(s)}`).join('')],
      ['dedupe', ' --stage dedupe'],
    ];
    for (const [name, stages] of pipelines) {
      for (const b of builds) {
        list.push({ group, name, build: b, recflow: true, summary, shell: b.cmd(`run ${q(ds.path)} --quiet --dlq ${q(dlq)} --summary-json ${q(summary)}${stages}`) });
      }
    }
  }
  const byGroup = new Map(sets.map((s) => [s.name, s.records]));
  return { list, sets, notes, ref, rowsOf: (c) => byGroup.get(c.group) ?? rows };
}

/**
 * The issue's targets, per build, from the file-case statistics (`stats` of summarize())
 * and the Kafka / HTTP medians. Each row: target, measured, met.
 */
export function targetRows(builds, stats, net) {
  const rows = [];
  const find = (group, name, b) => stats.find((s) => s.c.group === group && s.c.name === name && s.c.build === b && !s.failed);
  for (const b of builds) {
    for (const group of ['generate', 'other-customers.py']) {
      const base = find(group, 'contract only', b);
      if (!base) continue;
      rows.push([b.label, `${group}: contract-only vs Miller (wall)`, '>= 1.30x', base.vsMiller, base.vsMiller >= 1.3]);
      rows.push([b.label, `${group}: contract-only CPU vs DuckDB`, '<= 1.50x', base.vsDuckCpu, base.vsDuckCpu <= 1.5]);
      for (const [name, want] of [['5 stages', 0.9], ['dedupe', 0.8]]) {
        const s = find(group, name, b);
        // per round: contract-only wall / this wall (the same round's neighbours for both)
        const ratio = s && median(s.walls.map((w, r) => base.walls[r] / w));
        if (s) rows.push([b.label, `${group}: ${name} vs contract-only (records/s, per round)`, `>= ${want.toFixed(2)}x`, ratio, ratio >= want]);
      }
    }
    for (const [label, key, want] of [['file → Kafka records/s', 'produce', 150_000], ['Kafka → file records/s (after the join)', 'consume', 150_000], ['HTTP to serve records/s', 'http', 250_000]]) {
      const v = net.get(`${b.key}:${key}`);
      if (v !== undefined) rows.push([b.label, label, `>= ${want.toLocaleString('en-US')}`, v, v >= want, true]);
    }
    const rss = Math.max(...stats.filter((s) => s.c.build === b && !s.failed).map((s) => s.rssMb), net.get(`${b.key}:rss`) ?? 0);
    rows.push([b.label, 'peak RSS, every case above', '< 200 MB', rss, rss < 200, true]);
  }
  return rows.filter((r) => Number.isFinite(r[3])).map(([build, what, want, v, ok, plain]) => `| ${build} | ${what} | ${want} | ${plain ? Math.round(v).toLocaleString('en-US') : `${v.toFixed(2)}x`} | ${ok ? 'yes' : '**no**'} |`);
}
