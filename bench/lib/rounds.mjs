// Interleaved rounds and the file-case table. Every case runs once per round, in the
// list's order on even rounds and reversed on odd ones (A B .. B A ..), so that a noisy
// neighbour slows every case alike; ratios to Miller are taken per round (against the
// Miller run of the same round and data) and their median reported.
import { readFileSync } from 'node:fs';
import { fmtHour, fmtInt, fmtX, log, measure, median } from './measure.mjs';

/**
 * A case: { group, name, shell, build?, env?, stdout?, okCodes?, summary? (recflow's
 * --summary-json file), anchor?: 'miller' | 'duck' | 'floor' }.
 * Returns, per case, the list of runs: { wall, user, sys, rssKb, failed?, records? }.
 */
export async function runRounds(list, runs, dir) {
  const results = list.map(() => []);
  for (let r = 0; r < runs; r++) {
    const order = list.map((_, i) => i);
    if (r % 2) order.reverse();
    for (const i of order) {
      const c = list[i];
      const m = await measure(c, dir);
      if (c.summary && !m.failed) m.records = JSON.parse(readFileSync(c.summary, 'utf8')).records;
      results[i][r] = m;
      log(`round ${r + 1}/${runs} ${c.group} / ${c.name}${c.build ? ` [${c.build.label}]` : ''}: ${m.failed ? `failed (exit ${m.failed})` : `${m.wall.toFixed(2)} s, CPU ${(m.user + m.sys).toFixed(2)} s, ${(m.rssKb / 1024).toFixed(0)} MB`}`);
    }
  }
  return results;
}

const cpu = (m) => m.user + m.sys;

/**
 * Per case: median wall, records/s, median per-round wall ratio to Miller (Miller's wall /
 * this wall: above 1 is faster), median CPU seconds per million input records, that
 * against DuckDB's, the largest peak RSS, and recflow's record counts.
 */
export function summarize(list, results, rowsOf) {
  const anchorIdx = (group, anchor) => list.findIndex((c) => c.group === group && c.anchor === anchor);
  return list.map((c, i) => {
    // a failed run counts as no figure (NaN, left out of the medians); all failed: no row
    const runs = results[i].map((m) => (m.failed ? { ...m, wall: NaN, user: NaN, sys: NaN, rssKb: NaN } : m));
    const failures = results[i].filter((m) => m.failed);
    const failed = failures.length === runs.length ? failures[0] : undefined;
    const rows = rowsOf(c);
    const wall = median(runs.map((m) => m.wall));
    const mi = anchorIdx(c.group, 'miller');
    const di = anchorIdx(c.group, 'duck');
    const vsMiller = mi < 0 ? NaN : median(runs.map((m, r) => (results[mi][r].failed ? NaN : results[mi][r].wall / m.wall)));
    const cpuPerM = median(runs.map((m) => (cpu(m) / rows) * 1e6));
    const millerCpu = mi < 0 ? NaN : median(results[mi].map((m) => (m.failed ? NaN : (cpu(m) / rows) * 1e6)));
    const duckCpu = di < 0 ? NaN : median(results[di].map((m) => (cpu(m) / rows) * 1e6));
    const counts = runs.find((m) => m.records)?.records;
    return { c, failed, failures: failures.length, rows, walls: runs.map((m) => m.wall), wall, rate: rows / wall, vsMiller, cpuPerM, vsDuckCpu: cpuPerM / duckCpu, vsMillerCpu: millerCpu / cpuPerM, rssMb: Math.max(...runs.filter((m) => !m.failed).map((m) => m.rssKb)) / 1024, counts };
  });
}

export function fileTable(stats) {
  const lines = [
    '| data | case | build | median s | records/s | records/hour | vs Miller (wall, per round) | CPU s / 1M records | vs Miller (CPU) | CPU vs DuckDB | peak RSS MB | in / out / rejected / dropped |',
    '|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|',
  ];
  for (const s of stats) {
    const c = s.c;
    const flaky = s.failures && !s.failed ? ` (${s.failures} run(s) failed, left out)` : '';
    const head = `| ${c.group} | ${c.name.replaceAll('|', '\\|')}${flaky} | ${c.build?.label ?? ''} |`;
    if (s.failed) {
      lines.push(`${head} | failed (exit ${s.failed.failed}) | | | | | | | | |`);
      continue;
    }
    const n = s.counts;
    const recs = n ? `${fmtInt(n.in)} / ${fmtInt(n.out)} / ${fmtInt(n.rejected)} / ${fmtInt(n.dropped ?? 0)}` : '';
    const vsM = c.anchor === 'miller' ? '1.00x' : c.anchor === 'floor' ? '' : fmtX(s.vsMiller);
    const vsD = c.anchor === 'duck' ? '1.00x' : c.anchor === 'floor' ? '' : fmtX(s.vsDuckCpu);
    const vsMc = c.anchor === 'miller' ? '1.00x' : c.anchor === 'floor' ? '' : fmtX(s.vsMillerCpu);
    lines.push(`${head} ${s.wall.toFixed(2)} | ${fmtInt(s.rate)} | ${fmtHour(s.rate)} | ${vsM} | ${s.cpuPerM.toFixed(2)} | ${vsMc} | ${vsD} | ${s.rssMb.toFixed(0)} | ${recs} |`);
  }
  return lines;
}

/** The commands as run, with this machine's paths shortened. */
export function commandList(list, replacements) {
  const seen = new Set();
  const out = [];
  for (const c of list) {
    let text = (c.env ? Object.entries(c.env).map(([k, v]) => `${k}=${v} `).join('') : '') + c.shell;
    for (const [from, to] of replacements) text = text.replaceAll(from, to);
    if (!seen.has(text)) out.push(text);
    seen.add(text);
  }
  return out;
}
