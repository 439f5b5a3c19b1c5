// The extension manifest's walkthrough and packaging: every command a walkthrough step or button
// names is contributed, every media page and the icon exist and are packaged into the .vsix
// (.vscodeignore keeps only what it lists), the marketplace README is the one packaged and its
// links resolve, and the CHANGELOG has an entry for this version.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { repoRoot } from '../../repoRoot';

const root = repoRoot();
const manifest = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as {
  version: string;
  icon?: string;
  scripts: Record<string, string>;
  contributes: {
    commands: { command: string }[];
    walkthroughs: { id: string; steps: { id: string; description: string; media: { markdown?: string; image?: string }; completionEvents?: string[] }[] }[];
  };
};
const commands = new Set(manifest.contributes.commands.map((c) => c.command));

/** Whether vsce packages `file`: .vscodeignore ignores everything (`**`) except `!` lines. */
function packaged(file: string): boolean {
  const rules = fs.readFileSync(path.join(root, '.vscodeignore'), 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  const match = (glob: string) => new RegExp(`^${glob.replace(/[.+^$()|[\]\\]/g, '\\$&').replace(/\*\*/g, '\u0000').replace(/\*/g, '[^/]*').replace(/\u0000/g, '.*')}$`).test(file);
  let included = true;
  for (const rule of rules) {
    if (rule.startsWith('!') && match(rule.slice(1))) included = true;
    else if (!rule.startsWith('!') && match(rule)) included = false;
  }
  return included;
}

test('walkthrough: steps name contributed commands, and their pages exist and are packaged', () => {
  const [walkthrough] = manifest.contributes.walkthroughs;
  assert.ok(walkthrough, 'a walkthrough is contributed');
  assert.deepEqual(walkthrough.steps.map((s) => s.id), ['pickKernels', 'hostAtlas', 'ci']);
  for (const step of walkthrough.steps) {
    const linked = [...step.description.matchAll(/\(command:([\w.]+)/g)].map((m) => m[1]);
    const events = (step.completionEvents ?? []).flatMap((e) => (/^onCommand:(.+)$/.exec(e)?.[1] ?? []));
    assert.ok(linked.length, `${step.id}: a button`);
    for (const c of [...linked, ...events]) assert.ok(commands.has(c), `${step.id}: ${c} is contributed`);
    const page = step.media.markdown ?? step.media.image;
    assert.ok(page && fs.existsSync(path.join(root, page)), `${step.id}: ${page} exists`);
    assert.ok(packaged(page), `${step.id}: ${page} is packaged (.vscodeignore)`);
  }
});

test('icon, CHANGELOG and the marketplace README are packaged; the CHANGELOG has this version', () => {
  assert.ok(manifest.icon && fs.existsSync(path.join(root, manifest.icon)), 'icon exists');
  const png = fs.readFileSync(path.join(root, manifest.icon));
  assert.equal(png.subarray(1, 4).toString('latin1'), 'PNG');
  assert.deepEqual([png.readUInt32BE(16), png.readUInt32BE(20)], [128, 128], 'a 128×128 icon');
  for (const f of [manifest.icon, 'CHANGELOG.md', 'LICENSE', 'package.json']) assert.ok(packaged(f), `${f} is packaged`);
  assert.ok(!packaged('test/e2e/workspace/probes.bpf.c'), 'tests are not packaged');
  // vsce packages the --readme-path file as the extension's readme.md; the repository README (a
  // developer's page) must not go in beside it.
  assert.match(manifest.scripts.package, /vsce package .*--readme-path MARKETPLACE\.md/);
  assert.ok(!packaged('README.md'), 'the repository README is not packaged too');
  const readme = fs.readFileSync(path.join(root, 'MARKETPLACE.md'), 'utf8');
  // vsce rewrites relative links against the repository root: each must name a file there.
  for (const [, link] of readme.matchAll(/\]\(([^)#\s]+)\)/g)) {
    if (!/^\w+:/.test(link)) assert.ok(fs.existsSync(path.join(root, link)), `MARKETPLACE.md links to ${link}, which exists`);
  }
  const changelog = fs.readFileSync(path.join(root, 'CHANGELOG.md'), 'utf8');
  assert.match(changelog, new RegExp(`^## ${manifest.version.replace(/\./g, '\\.')}\\b`, 'm'));
});
