// Every helper's first kernel (helpers.json `since`) and every map and program type's
// (bpf-types.json) agrees with the bundled kernels' own enums: each kernel at or after `since` has
// it, each kernel before lacks it. Debian kernels answer from their BTF, the Ubuntu images from
// DepSurf's enums (until the atlas carries them).

import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { dataDir } from '../../../server/src/dataDir';
import { loadKnowledge } from '../../../server/src/knowledge/load';
import { compareKernelVersions } from '../../../server/src/knowledge/loadability';
import { bundledIds, kernel, ubuntuSkip, versionOf } from './kernels';

const knowledge = loadKnowledge(path.join(dataDir(), 'knowledge'));

test('every helper, map type and program type is present exactly from its first kernel on', (t) => {
  const checked: string[] = [];
  for (const id of bundledIds()) {
    const k = kernel(id);
    if (!k) {
      t.diagnostic(`${id} left out: ${ubuntuSkip()}`);
      continue;
    }
    checked.push(id);
    const v = versionOf(id);
    for (const h of knowledge.helpers()) {
      assert.ok(h.since, `${h.name} has a first kernel`);
      const value = k.enumValue('bpf_func_id', `BPF_FUNC_${h.name.replace(/^bpf_/, '')}`);
      assert.notEqual(value, null, `${id} has enum bpf_func_id`);
      const expected = compareKernelVersions(v, h.since) >= 0;
      assert.equal(value !== undefined, expected, `${h.name} (since ${h.since}, ${h.sinceSource}) on ${id} ${v}`);
      if (value !== undefined) assert.equal(value, h.id, `${h.name} has id ${h.id} on ${id}`);
    }
    for (const type of knowledge.bpfTypes()) {
      const value = k.enumValue(type.kind === 'map' ? 'bpf_map_type' : 'bpf_prog_type', type.name);
      assert.equal(value !== undefined && value !== null, compareKernelVersions(v, type.since) >= 0, `${type.name} (since ${type.since}) on ${id} ${v}`);
    }
  }
  assert.ok(checked.filter((id) => id.startsWith('debian-')).length === 4, 'all four Debian kernels were checked');
});

test('helpers.json: first kernels of the helpers the load checks are judged by', () => {
  const since = (n: string) => knowledge.helper(n)?.since;
  assert.equal(since('bpf_loop'), '5.17');
  assert.equal(since('bpf_get_func_ip'), '5.15');
  assert.equal(since('bpf_ringbuf_reserve'), '5.8');
  assert.equal(since('bpf_ktime_get_ns'), '4.1');
  assert.equal(since('bpf_map_lookup_elem'), '3.19');
  // bcc's table says 5.3; Ubuntu 19.10's 5.3 enum lacks it: corrected, and saying so.
  assert.equal(since('bpf_tcp_gen_syncookie'), '5.4');
  assert.match(knowledge.helper('bpf_tcp_gen_syncookie')!.sinceSource!, /corrected/);
  assert.equal(knowledge.typeSince('BPF_MAP_TYPE_RINGBUF')?.since, '5.8');
  assert.equal(knowledge.typeSince('BPF_PROG_TYPE_TRACING')?.since, '5.5');
  for (const h of knowledge.helpers()) assert.match(h.sinceSource ?? '', /bcc|corrected|between/, h.name);
  assert.ok(knowledge.bpfTypes().filter((t) => t.kind === 'map').length >= 30);
  assert.ok(knowledge.bpfTypes().filter((t) => t.kind === 'prog').length >= 30);
});
