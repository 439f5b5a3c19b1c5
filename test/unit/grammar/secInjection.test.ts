// The SEC() injection grammar for C: loaded as JSON, regexes compiled with node's RegExp, and the
// prefix and target of real-world section spellings tokenized (SEC, __section, __attribute__).

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { dataDir } from '../../../server/src/dataDir';
import { Tokenizer, compileOniguruma, scopesOf } from './textmate';

const root = path.join(dataDir(), '..');
const grammarFile = path.join(root, 'syntaxes', 'bpf-sec.injection.json');
const tokenizer = Tokenizer.fromFile(grammarFile);

const lines = [
  'SEC("kprobe/do_sys_open")',
  'SEC("tp/sched/sched_switch")',
  'SEC ( "kprobe.multi/tcp_*" )',
  'SEC("uprobe//usr/lib/libc.so.6:malloc")',
  'SEC("kprobe/tcp_sendmsg+0x10")',
  'SEC("xdp")',
  '__attribute__((section("tracepoint/syscalls/sys_enter_openat"), used))',
  '__section("kprobe/sys_write")',
  'SEC("fentry/do_unlinkat") int BPF_PROG(do_unlinkat, int dfd, struct filename *name)',
  'int seconds = SECONDS; char *s = "kprobe/not_a_section";',
  'SEC("tracepoint/\\x73ched/x")',
];
const tokens = tokenizer.tokenize(lines.join('\n'));
const scope = (line: number, needle: string, occurrence = 0) => scopesOf(lines, tokens, line, needle, occurrence);
const has = (scopes: string[], name: string) =>
  assert.ok(scopes.some((s) => s === name || s.startsWith(name + '.')), `expected ${name} in [${scopes.join(', ')}]`);
const PREFIX = 'keyword.other.section-prefix.bpf';
const TARGET = 'entity.name.function.section-target.bpf';

test('injection grammar file: scope name, selector into C, regexes compile', () => {
  const raw = JSON.parse(fs.readFileSync(grammarFile, 'utf8'));
  assert.equal(raw.scopeName, 'bpf-atlas.sec.injection');
  assert.match(raw.injectionSelector, /^L:source\.c\b/);
  assert.match(raw.injectionSelector, /-comment/);
  for (const p of tokenizer.allPatterns()) compileOniguruma(p);
  const manifest = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
  const contributed = (manifest.contributes?.grammars ?? []) as { scopeName: string; path: string; injectTo?: string[] }[];
  const entry = contributed.find((g) => g.scopeName === raw.scopeName);
  assert.ok(entry, 'package.json contributes the injection grammar');
  assert.equal(path.normalize(entry.path), path.normalize('./syntaxes/bpf-sec.injection.json'));
  assert.deepEqual(entry.injectTo, ['source.c']);
});

test('SEC("prefix/target"): prefix and target scoped inside a C string', () => {
  has(scope(0, 'SEC'), 'entity.name.function.preprocessor.bpf.sec');
  has(scope(0, 'kprobe'), PREFIX);
  has(scope(0, 'kprobe'), 'string.quoted.double.c');
  has(scope(0, '/'), 'punctuation.separator.section.bpf');
  has(scope(0, 'do_sys_open'), TARGET);
  has(scope(0, '"', 0), 'punctuation.definition.string.begin.c');
  has(scope(0, '"', 1), 'punctuation.definition.string.end.c');
});

test('tracepoint category/event, patterns, uprobe path:function, offsets, no-target sections', () => {
  has(scope(1, 'tp'), PREFIX);
  has(scope(1, 'sched', 0), TARGET);
  has(scope(1, 'sched_switch'), TARGET);
  has(scope(2, 'kprobe.multi'), PREFIX);
  has(scope(2, 'tcp_*'), TARGET);
  has(scope(3, 'uprobe'), PREFIX);
  has(scope(3, 'malloc'), TARGET);
  has(scope(4, 'tcp_sendmsg'), TARGET);
  has(scope(4, '0x10'), 'constant.numeric.offset.bpf');
  has(scope(5, 'xdp'), PREFIX);
  has(scope(10, '\\x73'), 'constant.character.escape.c');
});

test('__attribute__((section(...))) and __section(...) spellings', () => {
  has(scope(6, 'section'), 'storage.modifier.attribute.section.bpf');
  has(scope(6, 'tracepoint'), PREFIX);
  has(scope(6, 'sys_enter_openat'), TARGET);
  assert.deepEqual(scope(6, 'used'), ['bpf-atlas.sec.injection']);
  has(scope(7, '__section'), 'entity.name.function.preprocessor.bpf.sec');
  has(scope(7, 'sys_write'), TARGET);
});

test('only the section string is taken over: the handler after it and look-alikes are left to C', () => {
  has(scope(8, 'do_unlinkat', 0), TARGET);
  assert.deepEqual(scope(8, 'BPF_PROG'), ['bpf-atlas.sec.injection']);
  assert.deepEqual(scope(8, 'do_unlinkat', 1), ['bpf-atlas.sec.injection']);
  assert.deepEqual(scope(9, 'SECONDS'), ['bpf-atlas.sec.injection']);
  assert.deepEqual(scope(9, 'kprobe'), ['bpf-atlas.sec.injection']);
});

test('an unterminated section string (while typing) ends at the end of its line', () => {
  const typing = ['SEC("tp_btf/sched_', 'int BPF_PROG(on_switch)', 'char LICENSE[] SEC("license") = "GPL";'];
  const t = tokenizer.tokenize(typing.join('\n'));
  has(scopesOf(typing, t, 0, 'sched_'), TARGET);
  assert.deepEqual(scopesOf(typing, t, 1, 'BPF_PROG'), ['bpf-atlas.sec.injection']);
  has(scopesOf(typing, t, 2, 'license'), PREFIX);
  assert.deepEqual(scopesOf(typing, t, 2, 'GPL'), ['bpf-atlas.sec.injection']);
});
