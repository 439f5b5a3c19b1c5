// BPF helper documentation: the bundled helpers.json as the loader serves it, and its rebuild from
// Debian's linux-libc-dev packages (byte-identical), when those packages are at hand.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { dataDir } from '../../../server/src/dataDir';
import { loadKnowledge } from '../../../server/src/knowledge/load';
import {
  LIBC_DEV_PACKAGES, buildHelpersJson, debFileName, defaultDebDir, missingDebs, parseHelperDocs, parseHelperIds,
  readBpfHeaderFromDeb,
} from '../../../scripts/knowledge/helpers';

const knowledgeDir = path.join(dataDir(), 'knowledge');
const knowledge = loadKnowledge(knowledgeDir);

test('helper(bpf_probe_read_kernel) has its prototype, id and since', () => {
  const h = knowledge.helper('bpf_probe_read_kernel');
  assert.ok(h);
  assert.equal(h.proto, 'long bpf_probe_read_kernel(void *dst, u32 size, const void *unsafe_ptr)');
  assert.equal(h.id, 113);
  assert.equal(h.since, '5.10');
  assert.match(h.description, /kernel space address/);
  assert.ok(h.returns && h.returns.length > 0);
});

test('since is the oldest bundled header documenting the helper', () => {
  // bpf_get_current_task_btf appeared upstream in 5.11: absent from the 5.10 header, present in 6.1.
  assert.equal(knowledge.helper('bpf_get_current_task_btf')?.since, '6.1');
  assert.equal(knowledge.helper('bpf_map_lookup_elem')?.since, '5.10');
  assert.equal(knowledge.helper('bpf_map_lookup_elem')?.id, 1);
  assert.equal(knowledge.helper('no_such_helper'), undefined);
});

test('helpers cover the whole helper table, ids unique', () => {
  const all = knowledge.helpers();
  assert.ok(all.length >= 200, `expected about 211 helpers, got ${all.length}`);
  const ids = all.map((h) => h.id);
  assert.equal(new Set(ids).size, ids.length);
  for (const h of all) {
    assert.match(h.name, /^bpf_\w+$/);
    assert.ok(h.proto.includes(h.name + '('), `${h.name}: proto ${h.proto}`);
    assert.ok(h.source && h.source.includes('linux-libc-dev'));
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

const debDir = defaultDebDir();
const missing = missingDebs(debDir);
const needDebs = missing.length
  ? `needs ${missing.map(debFileName).join(', ')} in ${debDir} (BPF_ATLAS_DEB_DIR): run ` +
    '`node out/scripts/knowledge/helpers.js --fetch` to download them'
  : undefined;

test('rebuilding helpers.json from the linux-libc-dev debs is byte-identical', (t) => {
  if (needDebs) {
    if (process.env.BPF_ATLAS_REQUIRE_DEBS) assert.fail(needDebs);
    t.skip(needDebs);
    return;
  }
  const rebuilt = buildHelpersJson(debDir);
  const bundled = fs.readFileSync(path.join(knowledgeDir, 'helpers.json'), 'utf8');
  assert.ok(rebuilt === bundled, 'data/knowledge/helpers.json differs from a rebuild: run node out/scripts/knowledge/helpers.js');
});

test('both helper id list formats parse to the same ids (5.10 FN(name), 7.2 FN(name, id, ##ctx))', (t) => {
  if (needDebs) {
    if (process.env.BPF_ATLAS_REQUIRE_DEBS) assert.fail(needDebs);
    t.skip(needDebs);
    return;
  }
  const oldest = readBpfHeaderFromDeb(path.join(debDir, debFileName(LIBC_DEV_PACKAGES[0])));
  const newest = readBpfHeaderFromDeb(path.join(debDir, debFileName(LIBC_DEV_PACKAGES[LIBC_DEV_PACKAGES.length - 1])));
  const oldIds = parseHelperIds(oldest);
  const newIds = parseHelperIds(newest);
  assert.doesNotMatch(oldest, /___BPF_FUNC_MAPPER/);
  assert.equal(oldIds.get('bpf_probe_read_kernel'), 113);
  for (const [name, id] of oldIds) assert.equal(newIds.get(name), id, name);
  const docs = parseHelperDocs(oldest);
  assert.ok(docs.length >= 150);
  assert.ok(docs.every((d) => oldIds.has(d.name)), 'every documented helper has an id');
});
