// Program intent end to end: `bpf-atlas check` over tools written like bcc's libbpf-tools (a loader
// beside the .bpf.c that picks programs at run time), a file of same-hook twins without a loader,
// tail-call programs, BPF-to-BPF tracing, SEC("?...") and sections built by macros, on debian-12
// (account_page_dirtied is gone there, mutex_lock_nested needs CONFIG_DEBUG_LOCK_ALLOC, which
// Debian leaves off). Also: two runs give byte-identical JSON.

import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { run } from '../../server/src/cli/check';
import type { Finding } from '../../server/src/check/findings';
import { repoRoot } from '../repoRoot';

const dir = path.join(repoRoot(), 'test', 'fixtures', 'check', 'intent');

async function check(argv: string[]): Promise<{ status: number; stdout: string }> {
  let stdout = '';
  const status = await run(argv, { stdout: { write: (t: string) => { stdout += t; } }, stderr: { write: () => {} } });
  return { status, stdout };
}

async function findings(file: string): Promise<Finding[]> {
  const { stdout } = await check(['--no-live', '--kernel', 'debian-12', '--format', 'json', path.join(dir, file)]);
  return (JSON.parse(stdout) as { findings: Finding[] }).findings;
}

const at = (fs: Finding[], line: number) => fs.filter((f) => f.line === line && f.severity !== 'hint');

describe('intent: the loader picks programs at run time', () => {
  it('a program the loader switches off where another attaches is information naming the alternative', async () => {
    const fs = await findings('dirtystat.bpf.c');
    const [kprobe] = at(fs, 16);
    assert.equal(kprobe.severity, 'information', kprobe.message);
    assert.equal(kprobe.code, 'absent');
    assert.match(kprobe.message, /on debian-12\b.*tracepoint\/writeback\/writeback_dirty_folio \(line 23\).*\(dirtystat\.c:\d+\)/);
    // set_autoload(prog, use_fentry): switched off by an expression.
    assert.equal(at(fs, 9)[0]?.severity, 'information');
    assert.ok(!fs.some((f) => f.severity === 'error'), JSON.stringify(fs.filter((f) => f.severity === 'error')));
  });

  it('a program retargeted to a computed or placeholder name is not judged by its section', async () => {
    const fs = await findings('dirtystat.bpf.c');
    assert.deepEqual(at(fs, 38), []);
  });
});

describe('intent: the loader asks the kernel first', () => {
  it('a program whose check the kernel answers "no" is off there: information, not an error; the path taken still fails for real', async () => {
    const fs = await findings('iostart.bpf.c');
    // tracepoint_exists("block", "block_io_start") (through has_block_io_tracepoints) is false on 6.1.
    for (const line of [14, 20]) {
      const [tp] = at(fs, line);
      assert.equal(tp.severity, 'information', tp.message);
      assert.match(tp.message, /on debian-12 it does not attach; the loader .*\(iostart\.c:29\)/);
    }
    // !ksyms__get_symbol(ksyms, "__blk_account_io_done"): the symbol is gone on 6.1, so it is off.
    const [old] = at(fs, 26);
    assert.equal(old.severity, 'information', old.message);
    assert.match(old.message, /kprobe\/blk_account_io_done \(line 32\) there instead \(iostart\.c:16\)/);
    // The path 6.1 takes loads fentry on blk_account_io_start, inlined into every caller there.
    const [fentry] = at(fs, 8);
    assert.equal(fentry.severity, 'error');
    assert.equal(fentry.code, 'fully-inlined');
    assert.deepEqual(fs.filter((f) => f.severity === 'error').map((f) => f.line), [8]);
  });
});

describe('intent: the file alone', () => {
  it('a _nested twin is covered where its sibling attaches; a lone missing hook stays an error', async () => {
    const fs = await findings('locktwins.bpf.c');
    const nested = at(fs, 14)[0];
    assert.equal(nested.severity, 'information');
    assert.match(nested.message, /covered by kprobe\/mutex_lock \(line 8\)/);
    const lone = at(fs, 21)[0];
    assert.equal(lone.severity, 'error');
    assert.equal(lone.code, 'absent');
  });

  it('SEC("?...") is checked and reported as optional, a warning', async () => {
    const fs = await findings('locktwins.bpf.c');
    const opt = at(fs, 28)[0];
    assert.equal(opt.severity, 'warning');
    assert.equal(opt.code, 'fully-inlined');
    assert.match(opt.message, /is optional and cannot attach on debian-12 /);
  });

  it('tail-call programs and BPF-to-BPF tracing are not attach targets', async () => {
    const fs = await findings('tails.bpf.c');
    assert.deepEqual(fs.filter((f) => f.severity === 'error' || f.severity === 'warning'), []);
  });

  it('sections built by macros in the file and its local header are found at the invocation', async () => {
    const fs = await findings('macros.bpf.c');
    const errors = fs.filter((f) => f.severity === 'error');
    assert.deepEqual(errors.map((f) => [f.line, f.code]), [[15, 'absent'], [20, 'absent']]);
    assert.match(errors[0].message, /^kprobe\/account_page_dirtied cannot attach/);
    assert.match(errors[1].message, /^kretprobe\/account_page_dirtied cannot attach/);
  });
});

describe('check is deterministic', () => {
  it('two runs over the same tree give byte-identical JSON and the exit status counts errors only', async () => {
    const a = await check(['--no-live', '--kernel', 'debian-12,ubuntu-22.04', '--format', 'json', dir]);
    const b = await check(['--no-live', '--kernel', 'debian-12,ubuntu-22.04', '--format', 'json', dir]);
    assert.equal(a.stdout, b.stdout);
    assert.equal(a.status, 1);
    const ok = await check(['--no-live', '--kernel', 'debian-12', path.join(dir, 'tails.bpf.c')]);
    assert.equal(ok.status, 0);
  });
});
