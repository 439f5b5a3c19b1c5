// Both grammars over every real-style program in test/fixtures: the tokenizer never fails, every
// probe that starts a line is scoped as a probe (except in the deliberately broken script), and
// every SEC("prefix/target") gets its prefix scoped.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { dataDir } from '../../../server/src/dataDir';
import { Tokenizer } from './textmate';

const root = path.join(dataDir(), '..');
const bpftrace = Tokenizer.fromFile(path.join(root, 'syntaxes', 'bpftrace.tmLanguage.json'));
const injection = Tokenizer.fromFile(path.join(root, 'syntaxes', 'bpf-sec.injection.json'));

function files(dir: string, suffix: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? files(p, suffix) : e.name.endsWith(suffix) ? [p] : [];
  });
}

const probeTypes = new Set<string>();
for (const b of JSON.parse(fs.readFileSync(path.join(dataDir(), 'knowledge', 'bpftrace-builtins.json'), 'utf8')).builtins) {
  if (b.kind === 'probe') for (const n of [b.name, ...(b.aliases ?? [])]) probeTypes.add(n);
}

test('bpftrace fixtures: probes at the start of a line are scoped as probes', () => {
  const scripts = files(path.join(root, 'test', 'fixtures'), '.bt');
  assert.ok(scripts.length > 0, 'no .bt fixtures found');
  let probes = 0;
  for (const file of scripts) {
    const text = fs.readFileSync(file, 'utf8');
    const tokens = bpftrace.tokenize(text);
    if (path.basename(file).startsWith('broken')) continue;
    text.split('\n').forEach((line, i) => {
      const m = /^(\w+):/.exec(line) ?? /^(BEGIN|END)\b/.exec(line);
      if (!m || !probeTypes.has(m[1])) return;
      probes++;
      const scopes = tokens[i][0];
      assert.ok(scopes.some((s) => s.startsWith('storage.type.probe')), `${file}:${i + 1} ${line}: [${scopes.join(', ')}]`);
      assert.ok(!scopes.some((s) => s.startsWith('meta.block')), `${file}:${i + 1} is inside a block`);
    });
  }
  assert.ok(probes > 10, `only ${probes} probes checked`);
});

test('C fixtures: every SEC("...") prefix is scoped by the injection', () => {
  const sources = [...files(path.join(root, 'test', 'fixtures'), '.bpf.c'), ...files(path.join(root, 'test', 'fixtures'), '.c')]
    .filter((f, i, all) => all.indexOf(f) === i);
  assert.ok(sources.length > 0, 'no C fixtures found');
  let sections = 0;
  for (const file of sources) {
    const text = fs.readFileSync(file, 'utf8');
    const tokens = injection.tokenize(text);
    text.split('\n').forEach((line, i) => {
      for (const m of line.matchAll(/\bSEC\(\s*"([A-Za-z_][\w.]*)/g)) {
        sections++;
        const at = m.index! + m[0].length - m[1].length;
        const scopes = tokens[i][at];
        assert.ok(scopes.includes('keyword.other.section-prefix.bpf'), `${file}:${i + 1} ${line}: [${scopes.join(', ')}]`);
      }
    });
  }
  assert.ok(sections > 10, `only ${sections} sections checked`);
});
