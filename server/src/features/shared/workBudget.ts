// How much work one diagnostics run may do. A 10 MB file or thousands of attach points must not
// hold the server for seconds: the dialects' diagnostics count the attach points they analyse and
// watch the clock, stop when either limit is reached (or the request is cancelled), and end with
// one information diagnostic saying how far they got and why. Reports are memoised
// (analysis/report.ts, in the one cache), so the next run over the same document gets further;
// `onStoppedEarly` tells the caller (the server's scheduler) that such a run is due.

import { performance } from 'node:perf_hooks';
import { DiagnosticSeverity, type Diagnostic, type Range } from 'vscode-languageserver';

/** The code of the notes that say how much of a document a run covered (this one, the findings
 *  cap and the size cap of features/diagnostics.ts): they are never cut off with the findings. */
export const ANALYSIS_LIMIT_CODE = 'analysis-limit';

export interface WorkBudget {
  /** Attach points (programs, bpftrace probes) analysed per run. */
  maxAttachPoints: number;
  /** Milliseconds per run, checked between attach points once `minAttachPoints` are done. */
  maxMs: number;
  /** Attach points always analysed whatever the clock says, so that ordinary files (and tests)
   *  get the same answer on a slow or busy machine, and loading a kernel on the first request
   *  does not cut it short. */
  minAttachPoints: number;
}

export const DEFAULT_WORK_BUDGET: WorkBudget = { maxAttachPoints: 1000, maxMs: 500, minAttachPoints: 100 };

/** `bpf-atlas check`: every attach point, whatever the clock says, so that the same input gives
 *  the same output on a busy machine. */
export const UNLIMITED_WORK_BUDGET: WorkBudget = { maxAttachPoints: Infinity, maxMs: Infinity, minAttachPoints: Infinity };

export class WorkMeter {
  private readonly started = performance.now();
  private readonly limits: WorkBudget;
  /** Attach points analysed so far. */
  analysed = 0;
  /** Why the run stopped early, once it has. */
  stoppedBecause?: string;

  constructor(private readonly ctx: { isCancelled?: () => boolean; budget?: Partial<WorkBudget>; onStoppedEarly?: () => void }) {
    this.limits = { ...DEFAULT_WORK_BUDGET, ...ctx.budget };
  }

  /** False when the run must stop before the next attach point (cancelled or over budget). */
  next(): boolean {
    if (this.stoppedBecause) return false;
    if (this.ctx.isCancelled?.()) this.stoppedBecause = 'the request was cancelled';
    else if (this.analysed >= this.limits.maxAttachPoints) this.stoppedBecause = `the limit is ${this.limits.maxAttachPoints} attach points per run`;
    else if (this.analysed >= this.limits.minAttachPoints && performance.now() - this.started > this.limits.maxMs) this.stoppedBecause = `the time budget of ${this.limits.maxMs} ms per run was spent`;
    if (this.stoppedBecause) {
      if (this.exhausted) this.ctx.onStoppedEarly?.();
      return false;
    }
    this.analysed++;
    return true;
  }

  /** Whether the stop deserves a diagnostic (a cancelled run is discarded, not shown). */
  get exhausted(): boolean {
    return !!this.stoppedBecause && !this.ctx.isCancelled?.();
  }

  /** The information message for a run that stopped early. */
  message(total: number): string {
    // One sentence (the rest of the file is checked by the next run, from memoised results).
    return `bpf-atlas checked ${this.analysed} of ${total} attach points before it stopped (${this.stoppedBecause}); the next run checks the rest.`;
  }

  /** The information diagnostic of a run that stopped early, at the first attach point not
   *  checked. Coded `analysis-limit`, so the findings cap keeps it: a partial result must say so
   *  whatever its length. */
  note(range: Range, total: number, source: string): Diagnostic {
    return { range, severity: DiagnosticSeverity.Information, source, code: ANALYSIS_LIMIT_CODE, message: this.message(total) };
  }
}
