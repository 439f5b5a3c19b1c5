// What every feature receives besides the document: the analysis context (atlas, resolved target
// kernels, knowledge, the one cache; analysis/context.ts) and the settings. Built once per request
// by server.ts or cli; features keep no state of their own.

import type { AnalysisContext } from '../../analysis/context';
import type { Settings } from '../../settings';
import type { WorkBudget } from './workBudget';

export interface FeatureContext extends AnalysisContext {
  settings: Settings;
  /** Limits of one diagnostics run (shared/workBudget.ts DEFAULT_WORK_BUDGET when absent). */
  budget?: Partial<WorkBudget>;
  /** Called when a diagnostics run stops at its work budget (not when cancelled): its result is
   *  progress, and another run over the same version gets further (lsp/diagnosticsScheduler.ts). */
  onStoppedEarly?: () => void;
}
