// The bpftrace TextMate grammar and language configuration: loaded as JSON, every regex compiled
// with node's RegExp, and a biosnoop-style script tokenized to check the scopes of each construct.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { dataDir } from '../../../server/src/dataDir';
import { Tokenizer, compileOniguruma, scopesOf } from './textmate';

const root = path.join(dataDir(), '..');
const grammarFile = path.join(root, 'syntaxes', 'bpftrace.tmLanguage.json');
const tokenizer = Tokenizer.fromFile(grammarFile);

const script = [
  '#!/usr/bin/env bpftrace',
  '/*',
  ' * biosnoop.bt   Block I/O tracing tool, showing per I/O latency.',
  ' */',
  '#include <linux/blkdev.h>',
  'config = { missing_probes = warn }',
  'BEGIN',
  '{',
  '\tprintf("%-12s %-7s %6d\\n", "TIME(ms)", "DISK", 42);',
  '}',
  'kprobe:blk_account_io_start,',
  'kprobe:__blk_account_io_start',
  '{',
  '\t@start[arg0] = nsecs;',
  '\t@iocomm[arg0] = comm; // remember the command',
  '\t@disk[arg0] = ((struct request *)arg0)->q->disk->disk_name;',
  '}',
  'tracepoint:block:block_rq_issue /@start[args.dev] != 0 && pid == $1/ { $x = args.bytes / 1024; @bytes = hist($x); }',
  'kretprobe:vfs_read /retval > 0/ { @[comm] = sum(retval); }',
  'k:tcp_*, kprobe:mod:lookup_fast.constprop.* { @[probe, kstack(3)] = count(); }',
  'uprobe:/bin/bash:readline { printf("%s\\n", str(retval)); }',
  'interval:s:1 { print(@); clear(@); }',
  'kprobe:do_sys_open+0x10 { if (pid > 100) { @opens = lhist(arg2, 0, 10, 1); } else { @other++; } }',
  'profile:hz:99 { @[ustack] = count(); }',
  'END { clear(@start); }',
];
const tokens = tokenizer.tokenize(script.join('\n'));
const scope = (line: number, needle: string, occurrence = 0) => scopesOf(script, tokens, line, needle, occurrence);
const has = (scopes: string[], name: string) =>
  assert.ok(scopes.some((s) => s === name || s.startsWith(name + '.')), `expected ${name} in [${scopes.join(', ')}]`);
const lacks = (scopes: string[], name: string) =>
  assert.ok(!scopes.some((s) => s.startsWith(name)), `did not expect ${name} in [${scopes.join(', ')}]`);

test('grammar file: scope name, file type, and every regex compiles with node RegExp', () => {
  const raw = JSON.parse(fs.readFileSync(grammarFile, 'utf8'));
  assert.equal(raw.scopeName, 'source.bpftrace');
  assert.deepEqual(raw.fileTypes, ['bt']);
  assert.match('#!/usr/bin/env bpftrace', new RegExp(raw.firstLineMatch));
  assert.match('#!/usr/bin/bpftrace', new RegExp(raw.firstLineMatch));
  const all = tokenizer.allPatterns();
  assert.ok(all.length > 30);
  for (const p of all) compileOniguruma(p);
});

test('shebang, block comments, preprocessor and config', () => {
  has(scope(0, '#!/usr/bin/env bpftrace'), 'comment.line.shebang');
  has(scope(2, 'biosnoop.bt'), 'comment.block');
  has(scope(4, 'include'), 'keyword.control.directive');
  has(scope(4, '<linux/blkdev.h>'), 'string.quoted.other.lt-gt.include');
  has(scope(5, 'config'), 'keyword.other.config');
  has(scope(14, 'remember the command'), 'comment.line.double-slash');
});

test('probes: types, aliases, modules, functions, wildcards, offsets, rates, BEGIN/END', () => {
  has(scope(6, 'BEGIN'), 'storage.type.probe.special');
  has(scope(24, 'END'), 'storage.type.probe.special');
  has(scope(10, 'kprobe'), 'storage.type.probe');
  has(scope(10, 'blk_account_io_start'), 'entity.name.function.probe');
  has(scope(10, ','), 'punctuation.separator.probe');
  has(scope(11, '__blk_account_io_start'), 'entity.name.function.probe');
  has(scope(17, 'tracepoint'), 'storage.type.probe');
  has(scope(17, 'block', 0), 'entity.name.namespace.probe');
  has(scope(17, 'block_rq_issue'), 'entity.name.function.probe');
  has(scope(19, 'k'), 'storage.type.probe');
  has(scope(19, 'tcp_'), 'entity.name.function.probe');
  has(scope(19, '*', 0), 'keyword.operator.wildcard');
  has(scope(19, 'mod'), 'entity.name.namespace.probe');
  has(scope(19, 'lookup_fast.constprop.'), 'entity.name.function.probe');
  has(scope(20, '/bin/bash'), 'entity.name.namespace.probe');
  has(scope(20, 'readline'), 'entity.name.function.probe');
  has(scope(22, '0x10'), 'constant.numeric.offset');
  has(scope(21, '1', 0), 'constant.numeric.probe-rate');
  has(scope(23, '99'), 'constant.numeric.probe-rate');
});

test('predicates are delimited, and a division inside a block is an operator', () => {
  has(scope(17, '/', 0), 'punctuation.definition.predicate.begin');
  has(scope(17, 'args', 0), 'variable.language.argument');
  has(scope(17, 'pid'), 'variable.language.builtin');
  has(scope(17, '$1'), 'variable.parameter.positional');
  has(scope(17, '/', 1), 'punctuation.definition.predicate.end');
  has(scope(18, 'retval', 0), 'meta.predicate');
  const division = scope(17, '/', 2);
  has(division, 'keyword.operator');
  lacks(division, 'punctuation.definition.predicate');
});

test('action blocks: maps, scratch variables, builtins, functions, members, strings, keywords', () => {
  has(scope(8, 'printf'), 'support.function.builtin');
  has(scope(8, '%-12s'), 'constant.other.placeholder');
  has(scope(8, '\\n'), 'constant.character.escape');
  has(scope(8, 'TIME(ms)'), 'string.quoted.double');
  has(scope(8, '42'), 'constant.numeric');
  has(scope(13, '@start'), 'variable.other.map');
  has(scope(13, 'arg0'), 'variable.language.argument');
  has(scope(13, 'nsecs'), 'variable.language.builtin');
  has(scope(14, 'comm', 1), 'variable.language.builtin');
  has(scope(15, 'struct'), 'storage.type');
  has(scope(15, 'disk_name'), 'variable.other.member');
  has(scope(15, '->', 0), 'punctuation.accessor');
  has(scope(17, '$x', 0), 'variable.other.scratch');
  has(scope(17, 'hist'), 'support.function.map');
  has(scope(18, 'sum'), 'support.function.map');
  has(scope(19, 'kstack'), 'support.function.builtin');
  has(scope(19, 'count'), 'support.function.map');
  has(scope(21, '@', 0), 'variable.other.map');
  has(scope(22, 'if'), 'keyword.control');
  has(scope(22, 'else'), 'keyword.control');
  has(scope(22, 'lhist'), 'support.function.map');
  has(scope(23, 'ustack'), 'variable.language.builtin');
  has(scope(16, '}'), 'punctuation.section.block.end');
  // nested blocks close properly: the final END probe is top level again
  lacks(scope(24, 'END'), 'meta.block');
});

test('every builtin of data/knowledge/bpftrace-builtins.json is highlighted', () => {
  const builtins = JSON.parse(fs.readFileSync(path.join(dataDir(), 'knowledge', 'bpftrace-builtins.json'), 'utf8')).builtins as
    { name: string; kind: string; aliases?: string[] }[];
  for (const b of builtins) {
    if (b.kind === 'probe') {
      for (const name of [b.name, ...(b.aliases ?? [])]) {
        const line = /^(BEGIN|END|begin|end)$/.test(name) ? `${name} { }` : `${name}:x { }`;
        const t = tokenizer.tokenize(line);
        has(scopesOf([line], t, 0, name), 'storage.type.probe');
      }
    } else if (b.kind === 'variable' && /^[a-z]/.test(b.name)) {
      const name = b.name.replace(/^(s?arg)0$/, '$10');
      const line = `BEGIN { $v = ${name}; }`;
      const scopes = scopesOf([line], tokenizer.tokenize(line), 0, name);
      assert.ok(scopes.some((s) => s.startsWith('variable.language')), `${name}: [${scopes.join(', ')}]`);
    } else if (b.kind === 'function' || b.kind === 'map-function') {
      const line = `BEGIN { @m = ${b.name}(1); }`;
      const scopes = scopesOf([line], tokenizer.tokenize(line), 0, b.name);
      assert.ok(scopes.some((s) => s.startsWith('support.function')), `${b.name}: [${scopes.join(', ')}]`);
    }
  }
});

test('language configuration: comments, brackets, auto-closing pairs', () => {
  const conf = JSON.parse(fs.readFileSync(path.join(root, 'syntaxes', 'bpftrace.language-configuration.json'), 'utf8'));
  assert.equal(conf.comments.lineComment, '//');
  assert.deepEqual(conf.comments.blockComment, ['/*', '*/']);
  assert.deepEqual(conf.brackets, [['{', '}'], ['[', ']'], ['(', ')']]);
  const opens = conf.autoClosingPairs.map((p: { open: string }) => p.open);
  for (const open of ['{', '[', '(', '"']) assert.ok(opens.includes(open), open);
  const word = new RegExp(conf.wordPattern, 'g');
  assert.deepEqual('@start[$x] = nsecs'.match(word), ['@start', '$x', 'nsecs']);
  assert.match('  }', new RegExp(conf.indentationRules.decreaseIndentPattern));
  assert.match('kprobe:x {', new RegExp(conf.indentationRules.increaseIndentPattern));
});

test('an unterminated string ends with its line; 1e6 and duration literals are numbers', () => {
  const typing = ['kprobe:f { printf("oops', '  @x = elapsed / 1e6; $t = 100ms; }', 'kprobe:g { }'];
  const t = tokenizer.tokenize(typing.join('\n'));
  has(scopesOf(typing, t, 0, 'oops'), 'string.quoted.double');
  has(scopesOf(typing, t, 1, '@x'), 'variable.other.map');
  has(scopesOf(typing, t, 1, '1e6'), 'constant.numeric');
  has(scopesOf(typing, t, 1, '100ms'), 'constant.numeric');
  has(scopesOf(typing, t, 2, 'kprobe'), 'storage.type.probe');
});
