// The house rule for diagnostic messages, checked over every diagnostic the fixtures produce from
// all four producers (C attach points, C load checks, bpftrace probes, BCC attach calls): every C,
// bpftrace and BCC fixture the feature and check tests use, on the target sets users pick (one
// kernel, the Debian kernels, the Ubuntu LTS kernels, and every bundled kernel at once, which makes
// the longest kernel lists). A message is one plain sentence of at most 200 characters and names
// each kernel at most once; the per-kernel detail is in the related information.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import type { Diagnostic } from 'vscode-languageserver';
import { diagnostics } from '../../server/src/features/diagnostics';
import { MAX_MESSAGE, namesEachOnce } from '../../server/src/features/shared/phrases';
import { featureContext, openFixture, repoRoot, stripMarkers } from './fixture';

const FIXTURE_DIRS = ['c', 'bt', 'bcc', 'check/tools', 'check/broken'];

function fixtureFiles(): string[] {
  const root = path.join(repoRoot(), 'test/fixtures');
  return FIXTURE_DIRS.flatMap((dir) => {
    const full = path.join(root, dir);
    if (!fs.existsSync(full)) return [];
    return fs.readdirSync(full).filter((f) => /\.(c|bt|py)$/.test(f)).map((f) => path.join(dir, f));
  });
}

/** The kernel ids `message` names more than once (as whole names: `ubuntu-20.04` is not counted
 *  in `ubuntu-20.04-arm64`). */
function namedTwice(message: string, ids: readonly string[]): string[] {
  return ids.filter((id) => !namesEachOnce(message, [id]));
}

/** Which producer a diagnostic comes from: the four families the rule must hold for. */
const LOAD_CODES = new Set(['helper-unavailable', 'helper-not-allowed', 'kfunc-unavailable', 'kfunc-not-allowed', 'map-type-unavailable', 'prog-type-unavailable']);
function family(file: string, code: unknown): string {
  if (file.endsWith('.bt')) return 'bpftrace';
  if (file.endsWith('.py')) return 'bcc';
  return LOAD_CODES.has(String(code)) ? 'load' : 'c';
}

/** One sentence: no sentence end followed by another sentence inside it. */
function sentences(message: string): number {
  return message.split(/(?<=[.!?])\s+(?=[A-Z])/).length;
}

test('every diagnostic of the fixtures: one sentence, at most 200 characters, each kernel named once', async () => {
  const all = featureContext(['debian-12']).atlas.list().map((m) => m.id);
  const targetSets = [
    ['debian-12'],
    ['debian-11', 'debian-12', 'debian-13', 'debian-sid'],
    ['ubuntu-16.04', 'ubuntu-18.04', 'ubuntu-20.04', 'ubuntu-22.04', 'ubuntu-24.04'],
    all,
  ];
  const problems: string[] = [];
  let checked = 0;
  const seen = new Set<string>();
  const families = new Map<string, number>();
  for (const file of fixtureFiles()) {
    const source = fs.readFileSync(path.join(repoRoot(), 'test/fixtures', file), 'latin1');
    const doc = await openFixture(stripMarkers(Buffer.from(source, 'latin1').toString('utf8'), file));
    for (const targets of targetSets) {
      let found: Diagnostic[];
      try {
        found = diagnostics(doc, featureContext(targets));
      } catch (e) {
        problems.push(`${file} on ${targets.length} kernels: diagnostics threw ${(e as Error).message}`);
        continue;
      }
      for (const d of found) {
        checked++;
        const fam = family(file, d.code);
        families.set(fam, (families.get(fam) ?? 0) + 1);
        if (seen.has(d.message)) continue;
        seen.add(d.message);
        const where = `${file} [${d.code}] on ${targets.length === all.length ? 'every kernel' : targets.join(',')}`;
        if (d.message.length > MAX_MESSAGE) problems.push(`${where}: ${d.message.length} characters: ${d.message}`);
        const twice = namedTwice(d.message, all);
        if (twice.length) problems.push(`${where}: names ${twice.join(', ')} twice: ${d.message}`);
        if (sentences(d.message) > 1) problems.push(`${where}: more than one sentence: ${d.message}`);
      }
    }
  }
  assert.ok(checked > 100, `enough diagnostics to judge (${checked})`);
  // The rule holds for every producer: C attach points, load checks, bpftrace and BCC.
  for (const fam of ['c', 'load', 'bpftrace', 'bcc']) assert.ok((families.get(fam) ?? 0) > 0, `${fam} diagnostics judged: ${JSON.stringify([...families])}`);
  assert.deepEqual(problems, []);
});

test('the detail moves to related information: a line per verdict for an attach failure, kernels that say the same thing grouped', async () => {
  const f = stripMarkers('SEC("kprobe/blk_account_io_start")\nint BPF_KPROBE(start, struct request *rq)\n{\n\treturn 0;\n}\n', 'rel.bpf.c');
  const doc = await openFixture(f);
  const targets = ['debian-11', 'debian-12', 'debian-13', 'debian-sid'];
  const d = diagnostics(doc, featureContext(targets)).find((x) => x.code === 'fully-inlined');
  assert.ok(d, 'the attach diagnostic');
  assert.equal(d.message, 'kprobe/blk_account_io_start cannot attach on debian-12 (fully inlined); tp_btf/block_rq_issue works on every target.');
  const lines = d.relatedInformation?.map((r) => r.message) ?? [];
  // Every kernel is named, with its version, at the head of the line that gives its verdict.
  for (const k of targets) assert.ok(lines.some((l) => new RegExp(`^([\\w.-]+ \\([\\d.]+\\), )*([\\w.-]+ \\([\\d.]+\\) and )?${k} \\(`).test(l)), `a line for ${k}: ${JSON.stringify(lines)}`);
  assert.ok(lines.includes('debian-13 (6.12) and debian-sid (7.2): attaches (void blk_account_io_start(struct request *req)).'), JSON.stringify(lines));
  assert.ok(lines.includes('debian-11 (5.10): attaches (void blk_account_io_start(struct request *rq)).'), 'another prototype is another line');
  assert.ok(lines.some((l) => /^debian-12 \(6\.1\): fully-inlined: blk_account_io_start\(\) is inlined into every caller/.test(l)), JSON.stringify(lines));
});
