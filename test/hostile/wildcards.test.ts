// Wildcards over whole kernels (issue 13): `kprobe:*`, `SEC("kprobe/*")`, `SEC("kprobe.multi/*")`
// and friends used to hang the server (a quadratic walk over ~275,000 functions). They must now
// be answered with a match count per kernel and a warning where the loader would refuse them,
// with work bounded by design: asserted in-process as the number of function records decoded,
// through the built CLI as its output, and over JSON-RPC as every request answered while such a
// document is analysed. No time is measured; the timeouts only turn a hang into a failure.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, describe, it } from 'node:test';
import type { Diagnostic, Hover } from 'vscode-languageserver-protocol';
import { AnalysisCache } from '../../server/src/analysis/cache';
import { GLOB_MATCH_LIMIT, GLOB_SUFFIX_PROBES, matchFunctionGlob } from '../../server/src/analysis/globs';
import type { AtlasQuery, KernelQuery } from '../../server/src/atlas/model';
import { diagnosticsBpftrace } from '../../server/src/features/bpftrace/diagnostics';
import { context, docOf } from '../features/bpftrace/helpers';
import { repoRoot } from '../repoRoot';
import { SoakServer } from '../soak/server';
import { hasKprobeMulti } from '../../server/src/analysis/probeLimits';

const HANG = 120_000;
const KERNELS = ['debian-12', 'ubuntu-22.04'];
const BT = 'kprobe:* { @[func] = count(); }\nkprobe:s* { @s[func] = count(); }\nkprobe:*_read { @r = count(); }\n';
const C = `#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

SEC("kprobe/*")
int all_plain(void *ctx)
{
\treturn 0;
}

SEC("kprobe.multi/*")
int all_multi(void *ctx)
{
\treturn 0;
}

char LICENSE[] SEC("license") = "GPL";
`;

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bpf-atlas-hostile-wildcards-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** The atlas with every kernel wrapped to count the function records decoded (KernelQuery.fn). */
function countingAtlas(atlas: AtlasQuery): { atlas: AtlasQuery; decoded: () => number } {
  let decoded = 0;
  const wrapped = new Map<string, KernelQuery>();
  const wrap = (k: KernelQuery) => new Proxy(k, {
    get(target, prop, receiver) {
      if (prop === 'fn') return (name: string) => { decoded++; return target.fn(name); };
      const v = Reflect.get(target, prop, receiver);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
  const proxy = new Proxy(atlas, {
    get(target, prop, receiver) {
      if (prop === 'get') {
        return (id: string) => {
          let k = wrapped.get(id);
          if (!k) wrapped.set(id, k = wrap(target.get(id)));
          return k;
        };
      }
      const v = Reflect.get(target, prop, receiver);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
  return { atlas: proxy, decoded: () => decoded };
}

describe('wildcards over whole kernels', { timeout: 5 * HANG }, () => {
  it('kprobe:*, kprobe:s*, kprobe:*_read on two kernels: counts to the end, bounded decoding', () => {
    const base = context(KERNELS);
    const { atlas, decoded } = countingAtlas(base.atlas);
    const ctx = { ...base, atlas, cache: new AnalysisCache() };
    const ds = diagnosticsBpftrace(docOf(BT), ctx);
    const functions = KERNELS.map((id) => new Set(base.atlas.get(id).functionNames()).size);
    const star = ds.find((d) => d.code === 'pattern-matches' && d.range.start.line === 0);
    assert.ok(star, JSON.stringify(ds.map((d) => d.message)));
    assert.match(star.message, new RegExp(`^kprobe:\\* matches ${functions[0]} functions on debian-12 \\(6\\.1\\), ${functions[1]} functions on ubuntu-22\\.04 \\(5\\.15\\)`));
    // Without kprobe_multi (before 5.18, or CONFIG_FPROBE not set: debian-12's config says so)
    // bpftrace expands a wildcard into one probe per function and refuses more than 1024: the
    // wildcards are warned about on each such kernel where they attach more, and kprobe:* on all.
    const noMulti = KERNELS.filter((id) => hasKprobeMulti(base.atlas.get(id).meta) === false);
    assert.ok(noMulti.includes('ubuntu-22.04'), noMulti.join(', '));
    const limits = ds.filter((d) => d.code === 'probe-limit');
    for (const d of limits) assert.match(d.message, /on (debian-12 \(6\.1\)|ubuntu-22\.04 \(5\.15\))( \(the first 2000 expanded of \d+ that match by name\))?: the kernel has no kprobe_multi .* refuses more than 1024 \(max_probes/);
    assert.deepEqual(limits.filter((d) => d.range.start.line === 0).map((d) => /on ([\w.-]+) \(/.exec(d.message)?.[1]), noMulti, JSON.stringify(limits.map((d) => d.message)));
    const ubuntuStar = limits.find((d) => d.range.start.line === 0 && d.message.includes('ubuntu-22.04'));
    assert.match(ubuntuStar?.message ?? '', new RegExp(`^kprobe:\\* attaches at least \\d+ functions on ubuntu-22\\.04 \\(5\\.15\\) \\(the first 2000 expanded of ${functions[1]} that match by name\\)`));
    // Work: per probe and kernel, function records are looked up for at most the expansion
    // limit of matching names, the budget of names searched for suffixed copies, and once more
    // for each expanded symbol's facts; whatever the kernel's size (~275,000 functions).
    const bound = 3 * KERNELS.length * (2 * GLOB_MATCH_LIMIT + GLOB_SUFFIX_PROBES);
    assert.ok(decoded() <= bound, `looked up ${decoded()} function records (bound ${bound})`);
    // A second run over the same document is served from the cache.
    const before = decoded();
    diagnosticsBpftrace(docOf(BT), ctx);
    assert.equal(decoded(), before);
  });

  it('bpf-atlas check of kprobe:*, SEC("kprobe/*"), SEC("kprobe.multi/*") on two kernels: counts, limits, and why kprobe/* attaches nothing', () => {
    const bt = path.join(tmp, 'wildcards.bt');
    const c = path.join(tmp, 'wildcards.bpf.c');
    // kprobe/* alone too: next to kprobe.multi/* in one file it is a fallback the multi program
    // covers (information), which is the loader check's rule, not this test's subject.
    const plain = path.join(tmp, 'plain-wildcard.bpf.c');
    fs.writeFileSync(bt, BT);
    fs.writeFileSync(c, C);
    fs.writeFileSync(plain, C.slice(0, C.indexOf('SEC("kprobe.multi/*")')) + 'char LICENSE[] SEC("license") = "GPL";\n');
    const r = spawnSync(process.execPath, [path.join(repoRoot(), 'dist', 'cli.js'), 'check', ...KERNELS.flatMap((k) => ['--kernel', k]), bt, c, plain], { encoding: 'utf8', timeout: HANG });
    assert.equal(r.signal, null, 'check finished');
    assert.equal(r.status, 1, r.stderr);
    const out = r.stdout;
    assert.match(out, /plain-wildcard\.bpf\.c:4:6: error \[absent\] kprobe\/\* cannot attach on debian-12, ubuntu-22\.04/);
    assert.match(out, /wildcards\.bpf\.c:4:6: information \[absent\] kprobe\/\* is not needed where it cannot attach.*covered by kprobe\.multi\/\* \(line 10\)/);
    assert.match(out, /libbpf does not expand wildcards in a kprobe\/ section: it takes \* as one name.*Patterns work in kprobe\.multi\/\*/);
    assert.match(out, /wildcards\.bpf\.c:10:6: information \[pattern-matches\] kprobe\.multi\/\* matches \d+ functions on debian-12 \(6\.1\), \d+ on ubuntu-22\.04 \(5\.15\)/);
    assert.match(out, /wildcards\.bt:1:8: information \[pattern-matches\] kprobe:\* matches \d+ functions on debian-12 \(6\.1\), \d+ functions on ubuntu-22\.04 \(5\.15\)/);
    assert.match(out, /wildcards\.bt:1:8: warning \[probe-limit\] kprobe:\* attaches at least \d+ functions on ubuntu-22\.04 \(5\.15\)/);
  });

  it('bpf-atlas check of a file of 300 distinct wildcards: every probe counted, none left unchecked, no "none" from a search cut short', () => {
    // `kprobe:*xN_read` starts with a wildcard: every name of the kernel is tested. No compiler
    // suffix ends in `_read`, so no record is decoded to look for a suffixed copy and each count
    // is exact: "matches no function" is then a fact, not a lower bound.
    const base = context(KERNELS);
    const { atlas, decoded } = countingAtlas(base.atlas);
    const found = matchFunctionGlob({ cache: new AnalysisCache() }, atlas.get('debian-12'), '*x0_read', 'bpftrace', GLOB_MATCH_LIMIT);
    assert.equal(found.exact, true);
    assert.equal(decoded(), found.symbols.length ? found.functions : 0, 'records decoded only for matching names');
    const lines: string[] = [];
    for (let i = 0; i < 300; i++) lines.push(`kprobe:*x${i}_read { @[${i}] = count(); }`);
    const file = path.join(tmp, 'many.bt');
    fs.writeFileSync(file, `${lines.join('\n')}\n`);
    const r = spawnSync(process.execPath, [path.join(repoRoot(), 'dist', 'cli.js'), 'check', ...KERNELS.flatMap((k) => ['--kernel', k]), '--format', 'json', file], { encoding: 'utf8', timeout: HANG, maxBuffer: 64 << 20 });
    assert.equal(r.signal, null, 'check finished');
    const findings = (JSON.parse(r.stdout) as { findings: { line: number; code: string; message: string }[] }).findings;
    // A CI run has no later run to continue: no work budget stops it.
    assert.ok(!findings.some((f) => /analysis stopped/.test(f.message)), findings.filter((f) => /analysis stopped/.test(f.message)).map((f) => f.message).join('; '));
    const answered = new Set(findings.filter((f) => f.code === 'pattern-matches' || f.code === 'absent').map((f) => f.line));
    assert.equal(answered.size, 300, `probes with a count: ${answered.size}`);
    for (const f of findings.filter((x) => x.code === 'absent')) {
      assert.match(f.message, /matches no function on .*\(matches: 0 on debian-12 \(6\.1\)/, 'exact counts only');
      assert.doesNotMatch(f.message, /at least 0/);
    }
  });

  it('the server answers every request sent while such documents are analysed', async () => {
    const server = await SoakServer.start({ settings: { targetKernels: KERNELS, useLiveKernel: false } });
    try {
      const plain = pathToFileURL(path.join(tmp, 'plain.bt')).href;
      await server.open(plain, 'kprobe:vfs_read { @ = count(); }\n', 'bpftrace');
      await server.waitForDiagnostics(plain, (p) => p.version === 1, HANG);
      const wildBt = pathToFileURL(path.join(tmp, 'wild.bt')).href;
      const wildC = pathToFileURL(path.join(tmp, 'wild.bpf.c')).href;
      // The opens and the requests go out together, as an editor sends them: the requests must
      // be answered first, not behind the diagnostics passes the opens start (server.ts whenQuiet).
      const order: string[] = [];
      const opened = [server.open(wildBt, BT, 'bpftrace'), server.open(wildC, C, 'c')];
      const diagnosed = [
        server.waitForDiagnostics(wildBt, (p) => p.version === 1, HANG).then((p) => { order.push('diagnostics'); return p; }),
        server.waitForDiagnostics(wildC, (p) => p.version === 1, HANG).then((p) => { order.push('diagnostics'); return p; }),
      ];
      const asked = [
        server.request<Hover | null>('textDocument/hover', { textDocument: { uri: plain }, position: { line: 0, character: 9 } }, HANG),
        server.request<Hover | null>('textDocument/hover', { textDocument: { uri: wildBt }, position: { line: 0, character: 8 } }, HANG),
        server.request('textDocument/completion', { textDocument: { uri: wildBt }, position: { line: 2, character: 10 } }, HANG),
        server.request<Hover | null>('textDocument/hover', { textDocument: { uri: wildC }, position: { line: 9, character: 12 } }, HANG),
        server.request('bpfAtlas/listKernels', {}, HANG),
      ].map((p) => p.then((r) => { order.push('answer'); return r; }));
      await Promise.all(opened);
      const answers = await Promise.all(asked);
      assert.match(JSON.stringify(answers[0]), /vfs_read/, 'the other document hovers as usual');
      const [bt, c] = await Promise.all(diagnosed);
      assert.deepEqual(order, [...asked.map(() => 'answer'), 'diagnostics', 'diagnostics'], 'every request answered before the wildcard documents were analysed');
      const codes = (ds: Diagnostic[]) => ds.map((d) => d.code);
      assert.ok(codes(bt.diagnostics).includes('pattern-matches') && codes(bt.diagnostics).includes('probe-limit'), JSON.stringify(bt.diagnostics.map((d) => d.message)));
      assert.ok(codes(c.diagnostics).includes('absent') && codes(c.diagnostics).includes('pattern-matches'), JSON.stringify(c.diagnostics.map((d) => d.message)));
      // And after: the same documents answer from memoised work.
      const again = await server.request<Hover | null>('textDocument/hover', { textDocument: { uri: wildBt }, position: { line: 1, character: 8 } }, HANG);
      assert.match(JSON.stringify(again), /kprobe/);
      assert.ok(server.alive);
    } finally {
      await server.stop();
    }
  });
});
