// A diagnostics run cut short by the work budget must say so whatever the number of findings
// before the stop. The server caps a document at MAX_DIAGNOSTICS findings; the note of a stopped
// run used to sit among the findings and was cut off with them once more than 1,000 came before
// it: the partial result then looked complete ("shows the first 1000 of N findings", N depending
// on where the run stopped). Seen on the doc30k bench file with `live` among 30 targets (the
// running kernel has no kprobes: 1,478 findings, above the cap), never with the 29 bundled
// kernels alone (990 findings, under it). Budgets here are counted in attach points, not time.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Diagnostic } from 'vscode-languageserver';
import { AnalysisCache } from '../../server/src/analysis/cache';
import { diagnostics, MAX_DIAGNOSTICS } from '../../server/src/features/diagnostics';
import type { FeatureContext } from '../../server/src/features/shared/context';
import { UNLIMITED_WORK_BUDGET } from '../../server/src/features/shared/workBudget';
import { featureContext, openFixture, stripMarkers } from './fixture';

const PROGRAMS = 1100;
const STOP_AT = 1050; // past MAX_DIAGNOSTICS: the run stops after more than 1,000 findings

const stopped = (ds: Diagnostic[]) => ds.filter((d) => /attach points before it stopped/.test(d.message));
const capNote = (ds: Diagnostic[]) => ds.find((d) => /shows the first \d+ of \d+ findings/.test(d.message))?.message;

function freshContext(budget: FeatureContext['budget']): FeatureContext {
  return { ...featureContext(['debian-12']), cache: new AnalysisCache(), budget };
}

async function check(name: string, text: string, completes: boolean): Promise<void> {
  const doc = await openFixture(stripMarkers(text, name));
  const full = diagnostics(doc, freshContext(UNLIMITED_WORK_BUDGET));
  assert.equal(stopped(full).length, 0);
  const total = Number(/of (\d+) findings/.exec(capNote(full) ?? '')?.[1]);
  assert.ok(total > STOP_AT, `the document must have more than ${STOP_AT} findings (has ${capNote(full) ?? full.length})`);

  // The server's runs: the same cache, a budget of STOP_AT attach points per run.
  const ctx = freshContext({ maxAttachPoints: STOP_AT, minAttachPoints: 0, maxMs: Infinity });
  const first = diagnostics(doc, ctx);
  assert.equal(stopped(first).length, 1, 'a run that stopped past the findings cap says so');
  assert.equal(first.length, MAX_DIAGNOSTICS + 2, 'the cap keeps 1,000 findings, then the notes');
  assert.match(capNote(first) ?? '', new RegExp(`shows the first ${MAX_DIAGNOSTICS} of ${STOP_AT} findings`), 'notes are not counted as findings');
  if (!completes) return;
  const next = diagnostics(doc, ctx);
  assert.equal(stopped(next).length, 0, 'the follow-up run completes (the first run memoised its programs)');
  assert.deepEqual(next, full, 'the completed result equals one unlimited run from scratch');
}

describe('a run stopped by the work budget past the findings cap', () => {
  it('libbpf C: keeps its note, and its completion equals an unlimited run', async () => {
    const programs = Array.from({ length: PROGRAMS }, (_, i) => `SEC("kprobe/no_such_function_${i}")\nint handle_${i}(void *ctx)\n{\n\treturn 0;\n}\n`);
    await check('analysis-limit/many.bpf.c', `#include "vmlinux.h"\n#include <bpf/bpf_helpers.h>\n\n${programs.join('\n')}\nchar LICENSE[] SEC("license") = "GPL";\n`, true);
  });

  it('bpftrace: keeps its note', async () => {
    const probes = Array.from({ length: PROGRAMS }, (_, i) => `kprobe:no_such_function_${i} { @[${i}] = count(); }\n`);
    // Its meter counts every distinct probe of a run, memoised or not: no run of more probes than
    // the budget completes, so only the stopped run is checked.
    await check('analysis-limit/many.bt', probes.join(''), false);
  });
});
