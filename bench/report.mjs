#!/usr/bin/env node
// The Markdown table of one or more saved `npm run bench` results (BENCH_JSON=file), for the
// README's performance section: each figure with ours, the peer's in the same run, the ratio, the
// budget and whether it held. With several files, the figures of each run and their range.
//
//   node bench/report.mjs run1.json [run2.json ...]

import fs from 'node:fs';

const files = process.argv.slice(2);
if (!files.length) {
  console.error('usage: node bench/report.mjs BENCH_JSON_FILE...');
  process.exit(2);
}
const runs = files.map((f) => JSON.parse(fs.readFileSync(f, 'utf8')));
const num = (v, unit) => (typeof v === 'number' ? `${v.toLocaleString('en')} ${unit}` : '–');
const names = [...new Set(runs.flatMap((r) => r.results.map((x) => x.name)))];
const last = runs[runs.length - 1];
const env = last.env;
console.log(`${env.cpus} × ${env.cpuModel}, ${env.memGb} GB, node ${env.node.replace(/^v/, '')}, kernel ${env.kernel}, ${env.user}, tracefs ${env.tracefs ? 'readable' : 'not readable'}; load average ${runs.map((r) => `${r.env.loadAverageAtStart[0]}→${r.env.loadAverageAtEnd[0]}`).join(', ')} over ${runs.length} run${runs.length > 1 ? 's' : ''} (${runs.map((r) => r.date.slice(0, 16)).join(', ')}).\n`);
console.log(`| figure | bpf-atlas | peer, same run | ratio | budget | result |${runs.length > 1 ? ' range over runs |' : ''}`);
console.log(`|---|---|---|---|---|---|${runs.length > 1 ? '---|' : ''}`);
for (const name of names) {
  const r = last.results.find((x) => x.name === name);
  if (!r) continue;
  const peer = !r.peer ? '' : typeof r.peer.value === 'number' ? `${r.peer.tool}: ${num(r.peer.value, r.unit)}` : `${r.peer.tool}: not measured (${r.peer.unavailable})`;
  const ratio = typeof r.ratio === 'number' ? `${r.ratio}×` : '';
  const result = r.status === 'held' ? 'held' : r.status === 'missed' ? `**missed**${r.reason ? ` (${r.reason})` : ''}` : `${r.status}${r.reason ? ` (${r.reason})` : ''}`;
  let range = '';
  if (runs.length > 1) {
    const vals = runs.map((x) => x.results.find((y) => y.name === name)?.ours).filter((v) => typeof v === 'number');
    range = vals.length > 1 ? ` ${num(Math.min(...vals), r.unit)} – ${num(Math.max(...vals), r.unit)} |` : ' |';
  }
  console.log(`| ${name} | ${num(r.ours, r.unit)} | ${peer} | ${ratio} | ${r.budget?.text ?? 'reported'} | ${result} |${range}`);
}
