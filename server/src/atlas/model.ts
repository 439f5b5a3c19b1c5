// The atlas's query interface over many kernels. The vocabulary it speaks (kernel facts, the hazard
// taxonomy, attach kinds and targets) is the bottom layer's, server/src/model/, re-exported here
// for code written against this module.

import type { KernelMeta, KernelQuery } from '../model/facts';

export * from '../model/facts';
export * from '../model/hazards';
export type { AttachKind, AttachTarget } from '../model/programKinds';

/** Many kernels, loaded lazily by id. */
export interface AtlasQuery {
  /** Every known kernel (bundled, live when readable, user files), without loading their facts. */
  list(): readonly KernelMeta[];
  /** One kernel's metadata, like list()'s entry, without opening other kernels' files when
   *  this one is already known (the running kernel, a kernel loaded before). */
  meta?(id: string): KernelMeta | undefined;
  /** Resolve an id, a release (`6.1`, `5.15`) or a file path to kernel ids; throws a clear Error when unknown or ambiguous. */
  resolve(spec: string): string;
  /** Load (once) and return a kernel; throws a clear Error naming the file on bad data. */
  get(id: string): KernelQuery;
  /** Resolve many specs, de-duplicated, keeping order; errors are collected, not thrown. */
  resolveAll(specs: readonly string[]): { ids: string[]; errors: string[] };
}
