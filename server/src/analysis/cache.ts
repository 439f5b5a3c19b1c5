// The one cache of the analysis layer, built by whoever builds the atlas (server, CLI, tests) and
// passed in with every request: verdicts, reports and spelling searches depend only on the target,
// the target kernels' facts and the knowledge tables, all immutable once loaded, while diagnostics
// rerun on every edit. A new Atlas (the live kernel changed, other settings) gets a new cache;
// keys name each target kernel's KernelQuery instance, so a kernel reloaded in place misses too.
// Every table is a bounded LRU (lru-cache: the least recently used entry goes first, where the
// hand-written memos cleared a whole map when full). Nothing here is a module global.

import { LRUCache } from 'lru-cache';
import type { AtlasQuery } from '../atlas/model';
import { ownCopy } from '../model/ownStrings';
import type { AttachTarget } from '../model/programKinds';

/** The table of cross-kernel reports (report.ts), where verdicts.ts also finds a report's
 *  verdicts under the same key. */
export const REPORTS_TABLE = 'reports';

/** Entries per table: a session's worth of distinct targets, a few MB at most. */
const TABLE_SIZE = 5000;

/** Tables whose values hold one verdict per target kernel (`kernels`): an entry over 30 targets
 *  weighs ~35 KB, so 5,000 of them (a typing session reaches thousands: each keystroke in
 *  SEC("kprobe/…") brings up to 100 names) would hold ~170 MB. These are bounded by kernel
 *  verdicts instead (a kernel verdict weighs ~0.6 KB: heap snapshot of a typing session).
 *  `verdicts` fills with the names of completion lists: 12,000 kernel verdicts (~5.5 MB) keep the
 *  last ~13 fresh lists over 30 targets (a list over 30 targets judges at most ~900), enough for the
 *  lists of one word being typed or erased (whole lists are kept by completion itself, and the
 *  document's targets by `reports`); at 60,000 it held ~35 MB over 30 targets, at 24,000 ~11 MB
 *  for no more hits: the bench's 30-target session computed as many verdicts with 24,000 as with
 *  12,000 (2,341 and 2,291 target verdicts; the difference is scheduling). `reports` holds the
 *  document's targets (diagnostics, hover) and shares their verdicts. */
const PER_KERNEL_TABLES = new Map([['verdicts', 12_000], [REPORTS_TABLE, 60_000]]);
const kernelCount = (v: object): number => Math.max(1, (v as { kernels?: unknown[] }).kernels?.length ?? 1);

/** An LRU whose string keys are kept as their own copies: keys are made of pieces of a document's
 *  text (a program's body, a typed prefix), and a key that is a view of the text would keep the
 *  whole text of its version alive as long as the entry (model/ownStrings.ts). */
class OwnKeyLRU<V extends object> extends LRUCache<string, V> {
  override set(key: string, value: V | undefined, options?: LRUCache.SetOptions<string, V, unknown>): this {
    return super.set(ownCopy(key), value, options);
  }
}

export class AnalysisCache {
  private readonly tables = new Map<string, LRUCache<string, object>>();
  private readonly instanceIds = new WeakMap<object, number>();
  private nextInstanceId = 1;
  /** Sorted copies of name lists that a kernel gives in no set order, keyed by the list itself. */
  readonly sortedNames = new WeakMap<readonly string[], readonly string[]>();
  /** What is derived from one object (a loaded kernel) and lives as long as it: see derived(). */
  private readonly byOwner = new WeakMap<object, Map<string, unknown>>();

  /** The named table (created on first use). Values must not be modified by readers. */
  table<T extends object>(name: string, max = TABLE_SIZE): LRUCache<string, T> {
    let t = this.tables.get(name);
    if (!t) {
      const kernelVerdicts = PER_KERNEL_TABLES.get(name);
      t = kernelVerdicts
        ? new OwnKeyLRU<object>({ maxSize: kernelVerdicts, sizeCalculation: kernelCount })
        : new OwnKeyLRU<object>({ max });
      this.tables.set(name, t);
    }
    return t as unknown as LRUCache<string, T>;
  }

  /** The value of `key` in `table`, computed once while it stays cached (`max`: the table's
   *  size when this call creates it). */
  remember<T extends object>(table: string, key: string, compute: () => T, max?: number): T {
    const t = this.table<T>(table, max);
    const hit = t.get(key);
    if (hit !== undefined) return hit;
    const value = compute();
    t.set(key, value);
    return value;
  }

  /** The value named `key` derived from `owner` (e.g. the spelling index of a kernel's function
   *  names), made once and kept while both the owner and this cache live: not an LRU entry, as
   *  it costs far more to make than a memo and a kernel has a handful of them. */
  derived<T>(owner: object, key: string, make: () => T): T {
    let values = this.byOwner.get(owner);
    if (!values) {
      values = new Map();
      this.byOwner.set(owner, values);
    }
    if (!values.has(key)) values.set(key, make());
    return values.get(key) as T;
  }

  /** A number naming one loaded kernel (or any object) for cache keys. */
  instanceId(o: object): number {
    let id = this.instanceIds.get(o);
    if (id === undefined) {
      id = this.nextInstanceId++;
      this.instanceIds.set(o, id);
    }
    return id;
  }

  /** The target kernels as loaded now: ids with their KernelQuery instances (`!` when unloadable). */
  kernelsKey(atlas: AtlasQuery, targets: readonly string[]): string {
    return targets.map((id) => {
      try {
        return `${id}#${this.instanceId(atlas.get(id))}`;
      } catch {
        return `${id}#!`;
      }
    }).join(',');
  }
}

/** A target as part of a cache key. */
export function targetKey(target: AttachTarget): string {
  return `${target.kind}|${target.system ?? ''}|${target.pattern ? '*' : target.unexpandedGlob ? '!' : ''}|${target.name}`;
}
