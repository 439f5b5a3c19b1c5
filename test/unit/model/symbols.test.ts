// The one compiler-suffix rule (model/symbols.ts), on every suffix form GCC and Clang produce, and
// the same answer from every layer that asks it: the atlas's symbol lookups, the verdicts, the
// knowledge lookups, the wildcard expansion and the readers' attach symbol.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AnalysisCache } from '../../../server/src/analysis/cache';
import { assess } from '../../../server/src/atlas/assess';
import { KernelIndex } from '../../../server/src/atlas/kernelIndex';
import type { KernelFacts } from '../../../server/src/atlas/model';
import { dataDir } from '../../../server/src/dataDir';
import { matchFunctionGlob } from '../../../server/src/analysis/globs';
import { expandFunctionGlob } from '../../../server/src/features/bpftrace/analysis';
import { loadKnowledge } from '../../../server/src/knowledge/load';
import {
  baseName, hasCompilerSuffix, isClone, isFragment, isLsmHookName, lsmHookOfStub, preferredSymbol, suffixedNameMayEndWith, suffixKinds,
} from '../../../server/src/model/symbols';
import path from 'node:path';

/** [symbol, base, kinds, fragment, clone] for every suffix form, alone and chained (forms seen in
 *  the bundled atlases and the running kernel, plus Clang's). */
const FORMS: [string, string, string[], boolean, boolean][] = [
  ['finish_task_switch.isra.0', 'finish_task_switch', ['isra'], false, true],
  ['should_failslab.constprop.0', 'should_failslab', ['constprop'], false, true],
  ['HUF_compress1X_usingCTable.part.0', 'HUF_compress1X_usingCTable', ['part'], false, true],
  ['IO_APIC_get_PCI_irq_vector.cold', 'IO_APIC_get_PCI_irq_vector', ['cold'], true, false],
  ['IO_APIC_get_PCI_irq_vector.cold.25', 'IO_APIC_get_PCI_irq_vector', ['cold'], true, false],
  ['tcp_v4_rcv.llvm.6912364098812516598', 'tcp_v4_rcv', ['llvm'], false, true],
  ['memcpy.specialized.1', 'memcpy', ['specialized'], false, true],
  ['elfcorehdr_read_notes.localalias.6', 'elfcorehdr_read_notes', ['localalias'], false, false],
  ['elfcorehdr_read_notes.localalias', 'elfcorehdr_read_notes', ['localalias'], false, false],
  ['crc32_le.lto_priv.0', 'crc32_le', ['lto_priv'], false, false],
  ['NF_HOOK.constprop.0.isra.0', 'NF_HOOK', ['constprop', 'isra'], false, true],
  ['__clk_set_parent_after.isra.19.part.20', '__clk_set_parent_after', ['isra', 'part'], false, true],
  ['__ghes_check_estatus.isra.0.cold', '__ghes_check_estatus', ['isra', 'cold'], true, false],
  ['do_sysctl.isra.1.part.2.cold.3', 'do_sysctl', ['isra', 'part', 'cold'], true, false],
  ['nvdimm_get_user_key_payload.part.0.constprop.0.isra.0.cold', 'nvdimm_get_user_key_payload', ['part', 'constprop', 'isra', 'cold'], true, false],
  ['vfs_read', 'vfs_read', [], false, false],
  ['.E_copy', '.E_copy', [], false, false],
];

test('one suffix rule: base name, kinds, fragment and clone for every form', () => {
  for (const [symbol, base, kinds, fragment, clone] of FORMS) {
    assert.equal(baseName(symbol), base, symbol);
    assert.deepEqual(suffixKinds(symbol), kinds, symbol);
    assert.equal(hasCompilerSuffix(symbol), kinds.length > 0, symbol);
    assert.equal(isFragment(symbol), fragment, symbol);
    assert.equal(isClone(symbol), clone, symbol);
  }
});

test('what a suffixed name can end with: every end of every form, and not `_read`', () => {
  // Sound: every tail (without a dot) of every suffixed form is allowed.
  for (const [symbol] of FORMS) {
    if (!hasCompilerSuffix(symbol)) continue;
    const last = symbol.slice(symbol.lastIndexOf('.') + 1);
    for (let i = 0; i < last.length; i++) assert.ok(suffixedNameMayEndWith(last.slice(i)), `${symbol} ends with ${last.slice(i)}`);
    assert.ok(suffixedNameMayEndWith(symbol.slice(symbol.indexOf('.'))), 'a tail with a dot may end anything');
  }
  assert.ok(suffixedNameMayEndWith(''), 'a glob ending in a wildcard');
  // Useful: the ends of function-name globs people write rule suffixed copies out.
  for (const tail of ['_read', 'x0_read', 'write', '_enter', 'open', '_rcv']) assert.equal(suffixedNameMayEndWith(tail), false, tail);
});

test('the preferred symbol: plain, else the callable copy with the fewest suffixes, never .cold', () => {
  assert.equal(preferredSymbol('f', ['f.isra.0', 'f']), 'f');
  assert.equal(preferredSymbol('f', ['f.cold', 'f.constprop.0.isra.0', 'f.isra.0']), 'f.isra.0');
  assert.equal(preferredSymbol('f', ['f.part.0', 'f.constprop.0']), 'f.constprop.0');
  assert.equal(preferredSymbol('f', ['f.isra.1', 'f.isra.0']), 'f.isra.1', 'equal ranks keep address order');
  assert.equal(preferredSymbol('f', ['f.cold']), undefined);
});

test('LSM hook stubs: one rule, so lsm:init is no hook on any kernel', () => {
  assert.equal(lsmHookOfStub('bpf_lsm_file_open'), 'file_open');
  for (const helper of ['init', 'verify_prog', 'find_cgroup_shim', 'is_sleepable_hook', 'is_trusted', 'get_retval_range', 'func_proto']) {
    assert.equal(lsmHookOfStub(`bpf_lsm_${helper}`), undefined, helper);
    assert.equal(isLsmHookName(helper), false, helper);
  }
  assert.equal(lsmHookOfStub('security_file_open'), undefined);
});

/** A kernel whose every function has its plain symbol and one suffixed copy of each form. */
function kernelWithEveryForm(): KernelIndex {
  const bases = new Map<string, string[]>();
  for (const [symbol, base] of FORMS) {
    if (base.startsWith('.')) continue;
    bases.set(base, [...(bases.get(base) ?? [base]), ...(symbol === base ? [] : [symbol])]);
  }
  const facts: KernelFacts = {
    meta: {
      id: 'forms', release: '6.1.0-test', version: '6.1', arch: 'amd64', source: 'file', provenance: 'test',
      coverage: { inline: 'dwarf', ftrace: true, blacklist: true, modules: true, btf: true, exactFieldOffsets: true },
      counts: { functions: bases.size, tracepoints: 0, syscalls: 0, lsmHooks: 0 },
    },
    functions: [...bases].map(([name, symbols]) => ({ name, symbols, inBtf: true, inline: 'none', ftrace: true, kprobeBlacklisted: false })),
    tracepoints: [], syscalls: [], lsmHooks: [],
  };
  return KernelIndex.fromFacts(facts);
}

test('every layer answers the same for every suffixed symbol (memcpy.specialized.1 is memcpy)', () => {
  const kernel = kernelWithEveryForm();
  const ctx = { cache: new AnalysisCache() };
  const knowledge = loadKnowledge(path.join(dataDir(), 'knowledge'));
  for (const [symbol, base, , fragment, clone] of FORMS) {
    if (symbol === base) continue;
    // The atlas finds the exact symbol under its base.
    assert.ok(kernel.hasSymbol(symbol), `hasSymbol ${symbol}`);
    // The verdict on the exact symbol: found, attachable by kprobe, under the same base.
    const exact = assess(kernel, { kind: 'kprobe', name: symbol });
    assert.ok(exact.found && exact.attachable, `assess ${symbol}: ${JSON.stringify(exact.hazards)}`);
    assert.deepEqual(exact.symbols, kernel.fn(base)?.symbols, symbol);
    // The verdict on the plain name sees a callable copy as a clone, and nothing else.
    const plain = assess(kernel, { kind: 'kprobe', name: base });
    const clones = plain.hazards.filter((h) => h.name === 'clone').map((h) => h.message).join(' ');
    assert.equal(clones.includes(symbol), clone, `clone hazard of ${base} names ${symbol}: ${clones}`);
    // Knowledge rows and evidence are found by base name.
    assert.deepEqual(knowledge.equivalentsFor(symbol), knowledge.equivalentsFor(base), `equivalents ${symbol}`);
    assert.deepEqual(knowledge.evidenceFor(symbol), knowledge.evidenceFor(base), `evidence ${symbol}`);
    // A glob on the base catches the copy unless it is a fragment (libbpf and bpftrace alike).
    assert.equal(matchFunctionGlob(ctx, kernel, `${base}*`, 'libbpf').symbols.includes(symbol), !fragment, `kprobe.multi ${base}*`);
    const expanded = expandFunctionGlob(ctx, kernel, 'forms', 'kprobe', `${base}*`);
    assert.equal(expanded.clones.includes(symbol), !fragment, `bpftrace kprobe:${base}*`);
    assert.deepEqual(expandFunctionGlob(ctx, kernel, 'forms', 'fentry', `${base}*`).attachable, [base], `fentry collapses onto ${base}`);
  }
});
