// BPF helper documentation: the bundled helpers.json as the loader serves it, and its rebuild from
// the UAPI bpf.h of Debian's linux-source packages (byte-identical), when those are at hand.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { dataDir } from '../../../server/src/dataDir';
import { loadKnowledge } from '../../../server/src/knowledge/load';
import {
  buildHelpersJson, helperSince, parseHelperDocs, parseHelperIds, readKernelVersionsTable, renderTypesJson, sourceHeaders,
} from '../../../scripts/knowledge/helpers';
import { defaultSourceDir, missingPackages } from '../../../scripts/knowledge/linuxSource';

const knowledgeDir = path.join(dataDir(), 'knowledge');
const knowledge = loadKnowledge(knowledgeDir);

test('helper(bpf_probe_read_kernel) has its prototype, id and first kernel', () => {
  const h = knowledge.helper('bpf_probe_read_kernel');
  assert.ok(h);
  assert.equal(h.proto, 'long bpf_probe_read_kernel(void *dst, u32 size, const void *unsafe_ptr)');
  assert.equal(h.id, 113);
  assert.equal(h.since, '5.5');
  assert.match(h.sinceSource!, /6ae08ae3dea2/);
  assert.match(h.description, /kernel space address/);
  assert.ok(h.returns && h.returns.length > 0);
  assert.equal(knowledge.helper('no_such_helper'), undefined);
});

test('helpers cover the whole helper table, ids unique', () => {
  const all = knowledge.helpers();
  assert.equal(all.length, 211);
  const ids = all.map((h) => h.id);
  assert.equal(new Set(ids).size, ids.length);
  for (const h of all) {
    assert.match(h.name, /^bpf_\w+$/);
    assert.ok(h.proto.includes(h.name + '('), `${h.name}: proto ${h.proto}`);
    assert.match(h.source ?? '', /linux-source/);
  }
});

test('curated pitfalls are attached, each with a source', () => {
  const texts = (name: string) => (knowledge.helper(name)?.pitfalls ?? []).map((p) => p.text).join(' ');
  assert.match(texts('bpf_get_stackid'), /frame pointer/);
  assert.match(texts('bpf_get_stack'), /BPF_F_USER_BUILD_ID/);
  assert.match(texts('bpf_probe_read'), /bpf_probe_read_kernel\(\) and bpf_probe_read_user\(\)/);
  assert.match(texts('bpf_probe_read_str'), /_user_str/);
  assert.match(texts('bpf_get_current_task'), /bpf_get_current_task_btf/);
  for (const h of knowledge.helpers()) for (const p of h.pitfalls ?? []) assert.ok(p.source.length > 0);
});

test('a helper the table lacks takes the version its id falls in, when both neighbours agree', () => {
  const table = { ...readKernelVersionsTable(), helpers: readKernelVersionsTable().helpers.filter(([n]) => n !== 'loop') };
  const ids = new Map([['bpf_find_vma', 180], ['bpf_loop', 181], ['bpf_strncmp', 182]]);
  assert.equal(helperSince(ids, table).get('bpf_loop')?.since, '5.17');
  assert.match(helperSince(ids, table).get('bpf_loop')!.source, /between bpf_find_vma and bpf_strncmp/);
});

test('bpf-types.json is the rendering of the table', () => {
  const bundled = fs.readFileSync(path.join(knowledgeDir, 'bpf-types.json'), 'utf8');
  assert.ok(bundled === renderTypesJson(readKernelVersionsTable()), 'data/knowledge/bpf-types.json differs: run node out/scripts/knowledge/helpers.js');
});

const srcDir = defaultSourceDir();
const missing = missingPackages(srcDir);
const needSources = missing.length
  ? `needs ${missing.map((p) => `${p.name}=${p.version}`).join(', ')} in ${srcDir} (BPF_ATLAS_SRC_DIR): run ` +
    '`node out/scripts/knowledge/helpers.js --fetch` to download them'
  : undefined;

test('rebuilding helpers.json from the kernel sources is byte-identical', (t) => {
  if (needSources) {
    if (process.env.BPF_ATLAS_REQUIRE_DEBS) assert.fail(needSources);
    return t.skip(needSources);
  }
  const rebuilt = buildHelpersJson(srcDir);
  const bundled = fs.readFileSync(path.join(knowledgeDir, 'helpers.json'), 'utf8');
  assert.ok(rebuilt === bundled, 'data/knowledge/helpers.json differs from a rebuild: run node out/scripts/knowledge/helpers.js');
});

test('both helper id list formats parse to the same ids (5.10 FN(name), 7.2 FN(name, id, ##ctx))', (t) => {
  if (needSources) {
    if (process.env.BPF_ATLAS_REQUIRE_DEBS) assert.fail(needSources);
    return t.skip(needSources);
  }
  const headers = sourceHeaders(srcDir);
  const oldest = headers[0].text;
  const newest = headers[headers.length - 1].text;
  const oldIds = parseHelperIds(oldest);
  const newIds = parseHelperIds(newest);
  assert.doesNotMatch(oldest, /___BPF_FUNC_MAPPER/);
  assert.equal(oldIds.get('bpf_probe_read_kernel'), 113);
  for (const [name, id] of oldIds) assert.equal(newIds.get(name), id, name);
  const docs = parseHelperDocs(oldest);
  assert.ok(docs.length >= 150);
  assert.ok(docs.every((d) => oldIds.has(d.name)), 'every documented helper has an id');
});
