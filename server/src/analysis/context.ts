// What every analysis receives: the atlas, the resolved target kernels, the static knowledge and
// the one cache (analysis/cache.ts), plus cooperative cancellation. The features' context adds the
// settings; the analysis layer knows nothing of LSP, documents or settings.

import type { AtlasQuery } from '../atlas/model';
import type { Knowledge } from '../knowledge/types';
import type { AnalysisCache } from './cache';

export interface AnalysisContext {
  atlas: AtlasQuery;
  /** Resolved kernel ids the program must work on, in display order. */
  targets: readonly string[];
  knowledge: Knowledge;
  cache: AnalysisCache;
  /** Cooperative cancellation for long requests. */
  isCancelled?: () => boolean;
}
