// Neovim (Debian's package, headless) as an independent LSP client: it starts the server the way
// docs/editor.md tells users to (`node dist/cli.js lsp --stdio`), sends the settings through its
// own workspace/configuration answers, and must get diagnostics, completion, hover, the outline,
// resolved code lenses and go to definition on the libbpf fixture. The Lua probe prints one JSON line; this test checks it.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { isolatedEnv, makeDirs, NVIM, removeDirs, ROOT, withTimeout, WORKSPACE } from './harness/editors';

interface ProbeResult {
  nvim: { major: number; minor: number; patch: number };
  serverInfo?: { name: string };
  diagnostics?: { line: number; severity: number; code?: string; message: string }[];
  completion?: string[];
  completion_error?: unknown;
  hover?: { contents?: { kind: string; value: string } | string; error?: unknown };
  messages?: string[];
  symbols?: { name: string; detail?: string; children?: { name: string }[] }[] | { error: unknown };
  codelens?: { range: { start: { line: number } }; command?: { title: string; command: string; arguments?: unknown[] }; error?: unknown }[] | { error: unknown };
  definition?: ({ uri?: string; targetUri?: string; range?: { start: { line: number } } }[]) | { error: unknown };
  definition_text?: string;
  error?: string;
}

function positionAfter(text: string, marker: string): string {
  const i = text.indexOf(marker);
  assert.ok(i >= 0, `marker ${marker} not found`);
  const lines = text.slice(0, i + marker.length).split('\n');
  return `${lines.length - 1},${lines[lines.length - 1].length}`;
}

async function probe(file: string, env: Record<string, string>): Promise<{ result: ProbeResult; stderr: string; ms: number }> {
  const dirs = makeDirs('nvim-');
  const started = Date.now();
  const proc = spawn(NVIM, ['--headless', '--clean', '-n', '-c', `luafile ${path.join(ROOT, 'test/e2e/nvim/lsp_probe.lua')}`], {
    cwd: WORKSPACE,
    env: { ...isolatedEnv(dirs), LSP_FILE: file, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  proc.stdout.on('data', (d: Buffer) => (stdout += String(d)));
  proc.stderr.on('data', (d: Buffer) => (stderr += String(d)));
  const code = await withTimeout(new Promise<number | null>((resolve) => proc.on('exit', resolve)), 60_000, 'neovim probe')
    .catch((e: Error) => { proc.kill('SIGKILL'); throw e; });
  const line = stdout.split('\n').find((l) => l.startsWith('{'));
  assert.ok(line, `no JSON from the probe (exit ${code}); stderr: ${stderr.slice(0, 2000)}`);
  const result = JSON.parse(line) as ProbeResult;
  if (code === 0) removeDirs(dirs);
  return { result, stderr, ms: Date.now() - started };
}

test('Neovim drives `bpf-atlas lsp --stdio`: diagnostics, completion and hover on a libbpf program', async () => {
  assert.ok(fs.existsSync(path.join(ROOT, 'dist/cli.js')), 'dist/cli.js missing: run npm run build');
  const file = path.join(WORKSPACE, 'probes.bpf.c');
  const text = fs.readFileSync(file, 'utf8');
  const { result, ms } = await probe(file, {
    LSP_CMD: JSON.stringify(['node', path.join(ROOT, 'dist/cli.js'), 'lsp', '--stdio']),
    LSP_SETTINGS: JSON.stringify({ bpfAtlas: { targetKernels: ['debian-12'], useLiveKernel: false } }),
    COMPLETION_POS: positionAfter(text, 'SEC("tracepoint/sched/'),
    HOVER_POS: positionAfter(text, 'SEC("tracepoint/sched/sched_sw'),
  });
  console.log(`neovim ${result.nvim.major}.${result.nvim.minor}.${result.nvim.patch} probe: ${ms} ms, ${result.completion?.length ?? 0} completions, ${result.diagnostics?.length ?? 0} diagnostics`);
  assert.equal(result.error, undefined, result.error);
  assert.equal(result.serverInfo?.name, 'bpf-atlas');

  const kprobeLine = Number(positionAfter(text, 'SEC("kprobe/').split(',')[0]);
  const error = result.diagnostics?.find((d) => d.line === kprobeLine && d.severity === 1);
  assert.ok(error, `an error on the kfree_skb kprobe: ${JSON.stringify(result.diagnostics)}`);
  assert.equal(error.code, 'fully-inlined');

  assert.ok(result.completion?.includes('sched_switch'), `sched_switch offered: ${JSON.stringify(result.completion?.slice(0, 20) ?? result.completion_error)}`);
  const hover = result.hover?.contents;
  const hoverText = typeof hover === 'string' ? hover : hover?.value ?? '';
  assert.match(hoverText, /next_pid/);
  assert.equal(result.messages, undefined, 'no settings problems reported');
});

test('Neovim with no settings at all still gets answers (default targets)', async () => {
  const file = path.join(WORKSPACE, 'drops.bt');
  const text = fs.readFileSync(file, 'utf8');
  const { result } = await probe(file, {
    LSP_CMD: JSON.stringify(['node', path.join(ROOT, 'dist/cli.js'), 'lsp', '--stdio']),
    LSP_FILETYPE: 'bpftrace',
    COMPLETION_POS: positionAfter(text, 'tracepoint:skb:'),
    HOVER_POS: positionAfter(text, 'tracepoint:skb:kfree'),
  });
  assert.equal(result.error, undefined, result.error);
  assert.ok(Array.isArray(result.diagnostics), 'diagnostics were published');
  assert.ok(result.completion?.includes('kfree_skb'), `kfree_skb offered: ${JSON.stringify(result.completion?.slice(0, 20) ?? result.completion_error)}`);
});

test('Neovim: outline, resolved code lenses and go to definition into generated kernel headers', async () => {
  const file = path.join(WORKSPACE, 'probes.bpf.c');
  const text = fs.readFileSync(file, 'utf8');
  const { result } = await probe(file, {
    LSP_CMD: JSON.stringify(['node', path.join(ROOT, 'dist/cli.js'), 'lsp', '--stdio']),
    // Debian 11 (5.10) still has kfree_skb as a function; Debian 12's 6.1 build inlines it fully.
    LSP_SETTINGS: JSON.stringify({ bpfAtlas: { targetKernels: ['debian-11', 'debian-12'], useLiveKernel: false } }),
    SYMBOLS: '1',
    CODELENS: '1',
    DEFINITION_POS: positionAfter(text, 'SEC("kprobe/kfree_'),
  });
  assert.equal(result.error, undefined, result.error);

  // Neovim announces hierarchical symbols: the programs (section and kind as detail), the map and
  // the licence.
  assert.ok(Array.isArray(result.symbols), `symbols: ${JSON.stringify(result.symbols)}`);
  assert.deepEqual(result.symbols.map((s) => [s.name, s.detail]), [
    ['LICENSE', 'license "GPL"'],
    ['switches', 'hash map'],
    ['handle_sched_switch', 'tracepoint/sched/sched_switch · tracepoint'],
    ['trace_kfree_skb', 'kprobe/kfree_skb · kprobe'],
  ]);

  // One lens per program, sent unresolved and resolved by codeLens/resolve; its command opens the
  // per-kernel table of the section.
  assert.ok(Array.isArray(result.codelens), `code lenses: ${JSON.stringify(result.codelens)}`);
  assert.deepEqual(result.codelens.map((l) => [l.range.start.line, l.command?.title, l.command?.command, l.command?.arguments]), [
    [Number(positionAfter(text, 'SEC("tracepoint/').split(',')[0]), 'attaches on all 2 targets', 'bpfAtlas.lookup', ['tracepoint/sched/sched_switch']],
    [Number(positionAfter(text, 'SEC("kprobe/').split(',')[0]), 'attaches on 1/2 targets · fails on debian-12 (fully inlined)', 'bpfAtlas.lookup', ['kprobe/kfree_skb']],
  ]);

  // Definition on the kprobe's target: a generated header per kernel (the editor offers the
  // choice); the first, Debian 11's, declares the function from its BTF.
  assert.ok(Array.isArray(result.definition), `definition: ${JSON.stringify(result.definition)}`);
  assert.deepEqual(result.definition.map((l) => path.basename(l.uri ?? l.targetUri ?? '')), ['kfree_skb@debian-11.h', 'kfree_skb@debian-12.h']);
  const lines = (result.definition_text ?? '').split('\n');
  assert.match(lines[0], /^\/\* bpf-atlas: function kfree_skb as declared on debian-11 \(5\.10\./);
  assert.equal(lines[result.definition[0].range?.start.line ?? -1], 'extern void kfree_skb(struct sk_buff *skb);');
});
