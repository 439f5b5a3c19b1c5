// Hostile input to the built command line (dist/cli.js, issue 13): a FIFO given to every verb that
// reads a kernel file, a decompression bomb (with the process's peak memory), and escape codes in
// what reaches the terminal (kernel names from a file, paths, the user's own arguments, --json).
// Every run must end with a clear message; the only timeout is the one that turns a hang into a
// failure.

import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { encodeAtlas, writeAtlasFile } from '../../server/src/atlas/format';
import type { KernelFacts } from '../../server/src/atlas/model';
import { brotliZeros, parseAtlas, realKernelSlice, sectionRefs, setSection, smallAtlas } from '../craftAtlas';
import { repoRoot } from '../repoRoot';

const CLI = path.join(repoRoot(), 'dist', 'cli.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bpf-atlas-hostile-cli-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** A run that hangs is killed after this long and fails; nothing else is timed. */
const HANG = 120_000;
/** Writes the process's peak resident set size (kB) to $BPF_ATLAS_TEST_MAXRSS at exit. */
const maxRssHook = path.join(tmp, 'maxrss.js');
fs.writeFileSync(maxRssHook, "process.on('exit', () => require('fs').writeFileSync(process.env.BPF_ATLAS_TEST_MAXRSS, String(process.resourceUsage().maxRSS)));\n");

interface Run { status: number | null; stdout: string; stderr: string; maxRssKb?: number }

function cli(args: string[], options: { maxRss?: boolean } = {}): Run {
  const rssFile = path.join(tmp, `rss-${process.hrtime.bigint()}`);
  const r = spawnSync(process.execPath, [...(options.maxRss ? ['-r', maxRssHook] : []), CLI, ...args], {
    encoding: 'utf8', timeout: HANG, env: { ...process.env, BPF_ATLAS_TEST_MAXRSS: rssFile },
  });
  assert.equal(r.signal, null, `bpf-atlas ${args.join(' ')} did not finish (hang): ${r.stderr}`);
  const run: Run = { status: r.status, stdout: r.stdout, stderr: r.stderr };
  if (options.maxRss) run.maxRssKb = Number(fs.readFileSync(rssFile, 'utf8'));
  return run;
}

/** No byte a terminal would act on: C0 but tab and newline, DEL, C1, bidi controls. */
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

describe('hostile input to the command line', () => {
  before(() => assert.ok(fs.existsSync(CLI), `${CLI} is missing: run npm run build first`));

  it('a FIFO as a kernel file: every verb says so at once', () => {
    const fifo = path.join(tmp, 'kernel.fifo');
    execFileSync('mkfifo', [fifo]);
    const program = path.join(repoRoot(), 'test', 'fixtures', 'c', 'opensnoop.bpf.c');
    const runs: [string[], RegExp][] = [
      [['kernels', '--no-live', '--kernel', fifo], /is a FIFO \(named pipe\), not an atlas file/],
      [['lookup', '--no-live', '--kernel', fifo, 'kprobe:vfs_read'], /is a FIFO \(named pipe\), not an atlas file/],
      [['check', '--kernel', fifo, program], /is a FIFO \(named pipe\), not an atlas file/],
      [['index', '--btf', fifo, '-o', path.join(tmp, 'o.atlas')], /not a regular file \(a FIFO\)/],
      [['index', '--vmlinux', fifo, '-o', path.join(tmp, 'o.atlas')], /not a regular file \(a FIFO\)/],
      [['index', '--deb', fifo, '-o', path.join(tmp, 'o.atlas')], /not a regular file \(a FIFO\)/],
    ];
    for (const [args, expected] of runs) {
      const r = cli(args);
      assert.notEqual(r.status, 0, args.join(' '));
      assert.match(r.stderr, expected, args.join(' '));
      assert.ok(r.stderr.includes(fifo), `names the file: ${r.stderr}`);
    }
  });

  it('a 4.2 GB decompression bomb: a clear error, peak memory well under 1 GB', async () => {
    const good = smallAtlas();
    const bomb = await brotliZeros(252 * (16 << 20));
    let bytes = good;
    for (const [name, ref] of sectionRefs(parseAtlas(good).header)) {
      bytes = setSection(bytes, (h) => sectionRefs(h).find(([n]) => n === name)![1], bomb, ref.raw);
    }
    const file = path.join(tmp, 'bomb.atlas');
    fs.writeFileSync(file, bytes);
    const r = cli(['lookup', '--no-live', '--kernel', file, 'kprobe:vfs_read'], { maxRss: true });
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /bomb\.atlas: corrupt atlas file \(string table: decompresses to more than the \d+ bytes its header declares; stopped there\)/);
    // Not a timing or a tuning bound: the unbounded inflate this replaces needed 4.2 GB and more.
    assert.ok(r.maxRssKb! < 1 << 20, `peak RSS ${r.maxRssKb} kB`);
  });

  it('escape codes from a file never reach the terminal, and --json stays valid', () => {
    const facts: KernelFacts = realKernelSlice('ubuntu-22.04', 400);
    const evil = ['evil_clear\u001b[2J\u001b[H', 'evil_title\u001b]0;pwned\u0007', 'evil_csi\u009b31m'];
    facts.functions = [...facts.functions, ...evil.map((name) => ({ ...facts.functions[0], name, symbols: [name] }))];
    const file = path.join(tmp, 'names.atlas');
    fs.writeFileSync(file, encodeAtlas([facts], { quality: 1 }));
    const r = cli(['lookup', '--no-live', '--kernel', file, 'kprobe.multi:evil_*']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /evil_clear\ufffd\[2J/, 'the names are shown, their control characters replaced');
    assert.ok(!CONTROL.test(r.stdout + r.stderr), JSON.stringify(r.stdout));

    // The terminal sink itself: a path and an argument holding escape codes, echoed in errors.
    const escPath = path.join(tmp, 'clear\u001b[2J.atlas');
    const missing = cli(['lookup', '--no-live', '--kernel', escPath, 'kprobe:vfs_read']);
    assert.match(missing.stderr, /clear\\u001b\[2J\.atlas: no such atlas file/);
    const unknown = cli(['lookup', '--no-live', '--kernel', 'kernel\u009b2J', 'kprobe:vfs_read']);
    assert.match(unknown.stderr, /unknown kernel "kernel\\u009b2J"/);
    assert.ok(!CONTROL.test(missing.stderr + unknown.stderr));

    // --json: a kernel id taken from a path (a file's kernel called `live`, which is reserved,
    // is listed under the file's path) holding a C1 control. Written as \u009b, which inside a
    // JSON string is the same character.
    const slice = realKernelSlice('ubuntu-22.04', 400);
    const clash = { ...slice, meta: { ...slice.meta, id: 'live' } };
    const c1Path = path.join(tmp, 'c1\u009bdir', 'k.atlas');
    fs.mkdirSync(path.dirname(c1Path));
    writeAtlasFile(c1Path, [clash], { quality: 1 });
    const json = cli(['kernels', '--json', '--no-live', '--kernel', c1Path]);
    assert.equal(json.status, 0, json.stderr);
    assert.ok(!CONTROL.test(json.stdout), 'no raw control character in --json output');
    const parsed = JSON.parse(json.stdout) as { kernels: { id: string }[] } | { id: string }[];
    const ids = (Array.isArray(parsed) ? parsed : parsed.kernels).map((k) => k.id);
    assert.ok(ids.includes(c1Path), `the id parses back to the path itself: ${JSON.stringify(ids)}`);
  });
});
