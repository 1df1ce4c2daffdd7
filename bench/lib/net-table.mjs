// The Kafka and HTTP table: per build, file → Kafka, Kafka → file (rate after the group
// join; the join apart), file → `recflow serve`, and the two scripts' in-process figures.
// Fills `net` with the medians the targets table reads (`A:produce`, `A:consume`, ...).
import { fmtInt, median } from './measure.mjs';

const cpu = (m) => m.user + m.sys;

export function netTable(builds, parts, net, opt) {
  const lines = ['#### Kafka and HTTP', '', '| case | build | median s | records/s | group join s | CPU s / 1M records | peak RSS MB | records |', '|---|---|---:|---:|---:|---:|---:|---|'];
  const ok = (runs) => runs.filter((m) => !m.failed);
  const rss = (runs) => Math.max(...ok(runs).map((m) => m.rssKb)) / 1024;
  const noteRss = (b, runs) => net.set(`${b.key}:rss`, Math.max(net.get(`${b.key}:rss`) ?? 0, rss(runs)));
  const row = (what, b, runs, rate, join, n, records) => {
    const good = ok(runs);
    if (!good.length) return lines.push(`| ${what} | ${b.label} | failed | | | | | |`);
    const cpuPerM = median(good.map((m) => (cpu(m) / n(m)) * 1e6));
    lines.push(`| ${what} | ${b.label} | ${median(good.map((m) => m.wall)).toFixed(2)} | ${fmtInt(rate)} | ${join} | ${cpuPerM.toFixed(2)} | ${rss(runs).toFixed(0)} | ${records} |`);
  };
  if (parts.kafka) {
    for (const r of parts.kafka.rows) {
      const good = ok(r.runs);
      if (r.kind === 'produce') {
        const rate = median(good.map((m) => m.records / m.wall));
        net.set(`${r.build.key}:produce`, rate);
        noteRss(r.build, r.runs);
        const held = good.map((m) => m.held).join(', ');
        row(`file → Kafka (${opt.kafkaRecords.toLocaleString('en-US')} short records, ${opt.partitions} partitions; wall incl. start)`, r.build, r.runs, rate, '', (m) => m.records, `${fmtInt(good[0]?.records)} written; topics hold ${held} (kcat)`);
      } else {
        const rate = median(good.map((m) => m.records / m.afterJoin));
        net.set(`${r.build.key}:consume`, rate);
        noteRss(r.build, r.runs);
        const join = median(good.map((m) => m.join));
        row('Kafka → file, --until caught-up (records/s after the join)', r.build, r.runs, rate, Number.isFinite(join) ? join.toFixed(2) : '?', (m) => m.records, `${good.map((m) => fmtInt(m.records)).join(', ')} read`);
      }
    }
  }
  if (parts.kafkaScript) {
    for (const b of builds) {
      const k = parts.kafkaScript.get(b.key);
      if (!k) continue;
      lines.push(`| bench/kafka.mjs in process: recflow Kafka sink / source (after join) | ${b.label} | | ${fmtInt(k.recflowProduce)} / ${fmtInt(k.recflowConsume)} | ${(k.joinMs / 1000).toFixed(2)} | | | topic holds ${fmtInt(k.held)} of ${fmtInt(k.records)} |`);
      lines.push(`| bench/kafka.mjs in process: plain kafkajs producer / consumer | ${b.label} | | ${fmtInt(k.kafkajsProduce)} / ${fmtInt(k.kafkajsConsume)} | | | | topic holds ${fmtInt(k.heldRaw)} |`);
    }
  }
  if (parts.http) {
    for (const r of parts.http.rows) {
      const good = ok(r.runs);
      const rate = median(good.map((m) => m.records.in / m.wall));
      net.set(`${r.build.key}:http`, rate);
      noteRss(r.build, r.runs);
      const n = good[0]?.records;
      row(`file → recflow serve (generate CSV, wall incl. start; RSS and CPU of the sender)`, r.build, r.runs, rate, '', (m) => m.records.in, n ? `${fmtInt(n.in)} / ${fmtInt(n.out)} / ${fmtInt(n.rejected)}` : '');
    }
    for (const b of builds) {
      const h = parts.http.script.get(b.key);
      if (!h) continue;
      lines.push(`| bench/http.mjs: 200k NDJSON end to end / HTTP sink alone in process | ${b.label} | | ${fmtInt(h.endToEnd.median)} / ${fmtInt(h.sinkOnly.median)} | | | | medians of ${h.endToEnd.runs.length} |`);
    }
  }
  lines.push('');
  const cmds = [...(parts.kafka?.rows ?? []), ...(parts.http?.rows ?? [])].filter((r) => r.build.key === 'A').map((r) => r.command.replace(/^'[^']*' '[^']*'/, 'recflow'));
  if (cmds.length) lines.push('Commands (each Kafka round: a new topic and a new group; each HTTP run: a fresh `recflow serve --port 0 --quiet --out FILE` of the same build):', '', '```', ...cmds, '```', '');
  const notes = parts.kafka?.notes ?? [];
  lines.push(`- Kafka: librdkafka's mock cluster (it keeps ~4-5 MB per partition; runs sized to stay under). "group join s" is from the spawn to the \`kafka: joined group\` log line (process start, connect and join); records/s of Kafka → file counts from that line to the exit.`);
  if (notes.length) lines.push(...[...new Set(notes)].map((n) => `- ${n}`));
  lines.push('');
  return lines;
}
