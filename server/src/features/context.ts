// What every feature receives besides the document: the atlas, the resolved target kernels, the
// settings and the static knowledge. Built once per request by server.ts or cli.ts; features keep
// no state of their own.

import type { AtlasQuery } from '../atlas/model';
import type { Knowledge } from '../knowledge/types';
import type { Settings } from '../settings';
import type { WorkBudget } from './workBudget';

export interface FeatureContext {
  atlas: AtlasQuery;
  /** Resolved kernel ids the program must work on, in display order. */
  targets: readonly string[];
  settings: Settings;
  knowledge: Knowledge;
  /** Cooperative cancellation for long requests. */
  isCancelled?: () => boolean;
  /** Limits of one diagnostics run (features/workBudget.ts DEFAULT_WORK_BUDGET when absent). */
  budget?: Partial<WorkBudget>;
}
