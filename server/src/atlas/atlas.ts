// The Atlas: every kernel bpf-atlas knows (bundled atlases in data/atlas, the running kernel as
// `live`, and atlas files the user names), loaded lazily by id, plus the resolution of what users
// type (`debian-12`, `6.1`, `jammy`, `./prod.atlas`) into kernel ids. Built once by server.ts or
// cli.ts and passed to features; it holds no global state.

import fs from 'node:fs';
import path from 'node:path';
import { dataDir } from '../dataDir';
import { AtlasFile, kernelDataFromFacts, type KernelData } from './format';
import { KernelIndex } from './kernelIndex';
import { kernelArch, openLiveKernel, openLiveKernelAsync, versionOf, type LiveOptions, type ReferenceKernels } from '../kernel/liveIndex';
import { liveCacheFile, writeLiveCache } from './liveCache';
import type { AtlasQuery, KernelFacts, KernelMeta, KernelQuery } from './model';

/** Opens the running kernel (tests and other hosts give their own; the default is
 *  kernel/liveIndex.ts over /sys and /proc). Sync or async; the Atlas keeps the result. */
export type LiveLoader = (opts: LiveOptions) => KernelFacts | LiveQuery | Promise<KernelFacts | LiveQuery>;

/** The running kernel as the Atlas holds it: KernelQuery plus the lists KernelIndex offers. */
export type LiveQuery = KernelQuery & Pick<KernelIndex, 'fnAll' | 'extraSymbols' | 'kfuncs' | 'functionNamesWithPrefix'>;

/** What get() returns: a bundled/file kernel's index or the running kernel's lazy index. */
export type IndexedKernel = KernelIndex | LiveQuery;

export interface AtlasOptions {
  /** Folder holding `atlas/*.atlas`; default dataDir(). */
  dataDir?: string;
  /** Load the bundled atlases (default true). */
  bundled?: boolean;
  /** User atlas files to register up front. */
  files?: string[];
  /** Offer the running kernel as `live`: false (never), true/undefined (when readable, with the
   *  default reader), or an explicit loader (tests, other hosts). */
  live?: boolean | LiveLoader;
  /** Root under which /sys and /proc are read (tests); default `/`. */
  sysRoot?: string;
  /** Folder of the cached live atlas (atlas/liveCache.ts): read when it matches the running
   *  kernel, written by saveLiveCache(). Undefined: no cache. */
  liveCacheDir?: string;
  /** Read the running kernel's symbol table as soon as it is opened (the server: completion will
   *  need it), instead of on the first question that needs it (a CLI lookup may never). */
  prefetchLiveSymbols?: boolean;
}

/** Bundled kernels used as targets when none are configured and the running kernel is not
 *  readable: the newest LTS kernel of each bundled distro family and the one before it. */
export const DEFAULT_BUNDLED_TARGETS = ['debian-12', 'debian-13', 'ubuntu-22.04', 'ubuntu-24.04'];

interface Entry {
  meta: KernelMeta;
  /** Atlas file holding the kernel (bundled or user); undefined for live. */
  file?: AtlasFile;
  index?: IndexedKernel;
}

/** Map node's arch names to the Debian/Ubuntu names the atlases use. */
export const debArch = kernelArch;

export { versionOf };

/** How many bundled kernels the running kernel's reader consults, nearest first. */
const REFERENCE_KERNELS = 6;

/** One name per architecture: the ELF-style names some atlases use (`x86_64`) as Debian's. */
function archName(arch: string): string {
  return ({ x86_64: 'amd64', aarch64: 'arm64' } as Record<string, string>)[arch] ?? arch;
}

function numericVersion(v: string): number {
  const m = /^(\d+)\.(\d+)/.exec(v);
  return m ? Number(m[1]) * 1000 + Number(m[2]) : NaN;
}

export class Atlas implements AtlasQuery {
  private readonly entries = new Map<string, Entry>();
  private readonly opts: AtlasOptions;
  private bundledLoaded = false;
  private readonly bundleErrors: string[] = [];
  private liveLoader?: LiveLoader;
  private liveChecked = false;
  private livePending?: Promise<IndexedKernel>;
  /** The live kernel was read from /sys and /proc (not from the cache): saveLiveCache() may write it. */
  private liveFresh = false;

  constructor(opts: AtlasOptions = {}) {
    this.opts = opts;
    for (const f of opts.files ?? []) this.addFile(f);
  }

  /** Problems met while opening bundled atlases (a bad file is skipped, not fatal). */
  get warnings(): readonly string[] {
    this.ensureBundled();
    return this.bundleErrors;
  }

  /** The same problems, for a caller that may not have needed the bundled atlases at all (they
   *  are then not opened just to be checked). */
  warningsSoFar(): readonly string[] {
    return this.bundleErrors;
  }

  private ensureBundled(): void {
    if (this.bundledLoaded) return;
    this.bundledLoaded = true;
    if (this.opts.bundled === false) return;
    const dir = path.join(this.opts.dataDir ?? dataDir(), 'atlas');
    let names: string[];
    try {
      names = fs.readdirSync(dir).filter((n) => n.endsWith('.atlas')).sort();
    } catch {
      this.bundleErrors.push(`${dir}: no bundled atlases found`);
      return;
    }
    for (const n of names) {
      try {
        const file = AtlasFile.open(path.join(dir, n));
        for (const meta of file.kernels()) {
          if (!this.entries.has(meta.id)) this.entries.set(meta.id, { meta: { ...meta, source: 'bundled' }, file });
        }
      } catch (e) {
        this.bundleErrors.push((e as Error).message);
      }
    }
  }

  private sysPath(p: string): string {
    return path.join(this.opts.sysRoot ?? '/', p);
  }

  /** Register the running kernel when it is readable (without reading it yet). */
  private ensureLive(): void {
    if (this.liveChecked) return;
    this.liveChecked = true;
    if (this.opts.live === false) return;
    const injected = typeof this.opts.live === 'function' ? this.opts.live : undefined;
    try {
      fs.accessSync(this.sysPath('sys/kernel/btf/vmlinux'), fs.constants.R_OK);
    } catch {
      if (!injected) return;
    }
    let release = 'unknown';
    try {
      release = fs.readFileSync(this.sysPath('proc/sys/kernel/osrelease'), 'utf8').trim();
    } catch {
      /* release stays unknown until the facts are read */
    }
    this.liveLoader = injected ?? ((opts) => (this.opts.prefetchLiveSymbols ? openLiveKernelAsync(opts).then((r) => r.kernel) : openLiveKernel(opts).kernel));
    this.entries.set('live', {
      meta: {
        id: 'live', release, version: versionOf(release), arch: debArch(), source: 'live',
        provenance: 'the running kernel (read on first use)',
        coverage: { inline: 'none', ftrace: false, blacklist: false, modules: false, btf: true, exactFieldOffsets: false },
        counts: { functions: 0, tracepoints: 0, syscalls: 0, lsmHooks: 0 },
      },
    });
  }

  /** Problems met while reading the running kernel (unreadable tracefs, ...). */
  readonly liveProblems: string[] = [];

  private liveOptions(): LiveOptions {
    return {
      sysRoot: this.opts.sysRoot,
      references: () => this.referenceKernels(),
      onProblem: (m) => this.liveProblems.push(m),
      prefetchSymbols: this.opts.prefetchLiveSymbols,
    };
  }

  /** Where the running kernel's cached atlas is (or would be written); undefined without a
   *  cache folder. */
  liveCachePath(): string | undefined {
    if (!this.opts.liveCacheDir) return undefined;
    return liveCacheFile(this.opts.liveCacheDir, this.opts.sysRoot ?? '/', this.opts.dataDir ?? dataDir());
  }

  /** The running kernel from its cached atlas, when one matches it now. */
  private cachedLive(): KernelIndex | undefined {
    if (typeof this.opts.live === 'function') return undefined;
    const file = this.liveCachePath();
    if (!file || !fs.existsSync(file)) return undefined;
    try {
      const data = AtlasFile.open(file).load('live');
      return new KernelIndex(data, { ...data.meta, id: 'live', source: 'live' });
    } catch {
      // A damaged cache file is read afresh from the kernel and rewritten.
      return undefined;
    }
  }

  /**
   * Write the running kernel's facts to the cache, when it was read from the kernel by this
   * Atlas (not from the cache) and a cache folder is set. Reads every fact it has not read yet.
   * Returns the file written, or undefined; a folder that cannot be written is not an error.
   */
  saveLiveCache(): string | undefined {
    const e = this.entries.get('live');
    // The key is computed only when there is something to write (a run from the cache has not).
    if (!e?.index || !this.liveFresh) return undefined;
    const file = this.liveCachePath();
    if (!file) return undefined;
    try {
      writeLiveCache(file, e.index);
      this.liveFresh = false;
      return file;
    } catch {
      return undefined;
    }
  }

  /** Event name → trace system over every bundled kernel, newest kernels last so they win. */
  bundledSystems(): Map<string, string> {
    this.ensureBundled();
    const out = new Map<string, string>();
    const files = new Set<AtlasFile>();
    for (const e of this.entries.values()) if (e.file && e.meta.source === 'bundled') files.add(e.file);
    for (const file of files) {
      try {
        for (const [name, system] of file.traceSystems()) out.set(name, system);
      } catch (e) {
        this.bundleErrors.push((e as Error).message);
      }
    }
    return out;
  }

  /** The bundled kernels of this machine's architecture, nearest to the running kernel's
   *  version first (then Debian before Ubuntu: its facts come from the images themselves), for
   *  what the running kernel does not tell a normal user. */
  referenceKernels(): ReferenceKernels {
    this.all();
    const liveVersion = numericVersion(this.entries.get('live')?.meta.version ?? '');
    const arch = archName(debArch());
    const bundled = [...this.entries.values()].filter((e) => e.file && e.meta.source === 'bundled' && archName(e.meta.arch) === arch
      && (!e.meta.flavor || e.meta.flavor === 'generic' || e.meta.flavor === arch));
    const distance = (e: Entry) => {
      const v = numericVersion(e.meta.version);
      return Number.isNaN(v) || Number.isNaN(liveVersion) ? 1e9 - (Number.isNaN(v) ? 0 : v) : Math.abs(v - liveVersion);
    };
    bundled.sort((a, b) => distance(a) - distance(b) || numericVersion(b.meta.version) - numericVersion(a.meta.version)
      || (a.meta.distro === 'debian' ? -1 : 0) - (b.meta.distro === 'debian' ? -1 : 0));
    return {
      systems: this.bundledSystems(),
      // The nearest few: an event or syscall none of them has is not found in older kernels
      // either, and each kernel consulted is one more to load.
      kernels: bundled.slice(0, REFERENCE_KERNELS).map((e) => ({
        id: e.meta.id,
        version: e.meta.version,
        kernel: () => {
          try {
            return this.get(e.meta.id);
          } catch {
            return undefined;
          }
        },
      })),
    };
  }

  private all(): Map<string, Entry> {
    this.ensureBundled();
    this.ensureLive();
    return this.entries;
  }

  /** Register the kernels of a user atlas file; returns their ids. A kernel whose id is already
   *  taken by a different source is registered under the file path instead. */
  addFile(file: string): string[] {
    const abs = path.resolve(file);
    const opened = AtlasFile.open(file);
    const ids: string[] = [];
    const metas = opened.kernels();
    for (const meta of metas) {
      const existing = this.entries.get(meta.id);
      let id = meta.id;
      // `live` is reserved for the running kernel; other clashes keep the bundled kernel's id.
      if (id === 'live' || (existing && existing.file?.path !== opened.path)) id = metas.length === 1 ? abs : `${abs}#${meta.id}`;
      this.entries.set(id, { meta: { ...meta, id, source: 'file' }, file: opened });
      this.fileIds.set(id, meta.id);
      ids.push(id);
    }
    this.filePaths.set(abs, ids);
    return ids;
  }

  private readonly fileIds = new Map<string, string>();
  private readonly filePaths = new Map<string, string[]>();

  list(): readonly KernelMeta[] {
    return [...this.all().values()].map((e) => e.index?.meta ?? e.meta);
  }

  /** One kernel's metadata as list() gives it; `live` and kernels already registered open no
   *  bundled atlas (a lookup on the running kernel alone reads no other file). */
  meta(id: string): KernelMeta | undefined {
    if (id === 'live') this.ensureLive();
    const e = this.entries.get(id);
    if (e) return e.index?.meta ?? e.meta;
    return this.list().find((m) => m.id === id);
  }

  /** True when the running kernel is offered as `live`. */
  hasLive(): boolean {
    return this.all().has('live');
  }

  resolve(spec: string): string {
    const s = spec.trim();
    const entries = this.all();
    if (!s) throw new Error('empty kernel name: give an id such as debian-12, a release such as 6.1, or an atlas file');
    if (entries.has(s)) return s;
    if (looksLikePath(s)) {
      const abs = path.resolve(s);
      const ids = this.filePaths.get(abs) ?? this.addFile(s);
      if (ids.length === 1) return ids[0];
      throw new Error(`${s} holds ${ids.length} kernels (${ids.join(', ')}): name one of them by id`);
    }
    const metas = [...entries.values()].map((e) => e.meta);
    const byCodename = metas.filter((m) => m.codename === s);
    const byRelease = metas.filter((m) => m.version === s || m.release === s || m.release.startsWith(`${s}.`) || m.release.startsWith(`${s}-`));
    for (const candidates of [byRelease, byCodename]) {
      if (!candidates.length) continue;
      // Prefer the distro's plain image (amd64, generic flavour) among bundled kernels, then the
      // rest; only ambiguity inside the preferred tier is an error.
      const tiers = [
        candidates.filter((m) => m.source === 'bundled' && isPlainImage(m)),
        candidates.filter((m) => m.source === 'bundled'),
        candidates,
      ];
      const tier = tiers.find((t) => t.length)!;
      if (tier.length === 1) return tier[0].id;
      throw new Error(`kernel "${s}" is ambiguous: it matches ${tier.map((m) => `${m.id} (${m.release}${m.arch ? ` ${m.arch}` : ''})`).join(', ')}; give one of these ids`);
    }
    const known = metas.map((m) => m.id);
    throw new Error(`unknown kernel "${s}": known kernels are ${known.length ? known.join(', ') : '(none)'}; you can also give a release such as 6.1 or the path of an atlas file built with \`bpf-atlas index\``);
  }

  get(id: string): IndexedKernel {
    // `live` (or a kernel already loaded) needs no bundled atlas opened.
    if (id === 'live') this.ensureLive();
    const entries = this.entries.has(id) ? this.entries : this.all();
    const e = entries.get(id) ?? entries.get(this.resolve(id));
    if (!e) throw new Error(`unknown kernel "${id}"`);
    if (e.index) return e.index;
    if (e.file) {
      const data: KernelData = e.file.load(this.fileIds.get(e.meta.id) ?? e.meta.id);
      e.index = new KernelIndex(data, { ...data.meta, id: e.meta.id, source: e.meta.source });
      return e.index;
    }
    if (!this.liveLoader) throw new Error(`kernel "${id}" has no facts source`);
    const cached = this.cachedLive();
    if (cached) return this.setLive(cached, false);
    // The default reader opens synchronously here (loadLive() lets the event loop run).
    const loaded = typeof this.opts.live === 'function' ? this.liveLoader(this.liveOptions()) : openLiveKernel(this.liveOptions()).kernel;
    if (isPromise(loaded)) {
      throw new Error('the running kernel is still being read: call `await atlas.loadLive()` before using `live`');
    }
    return this.setLive(loaded, true);
  }

  private setLive(loaded: KernelFacts | LiveQuery, fresh: boolean): IndexedKernel {
    const e = this.entries.get('live')!;
    this.liveFresh = fresh;
    if (!('functions' in loaded)) {
      // A lazy index: its meta (counts) is computed when listed, not now (that sorts every name).
      e.index = loaded;
      return loaded;
    }
    const facts = loaded;
    const data = kernelDataFromFacts(facts);
    e.index = new KernelIndex(data, { ...facts.meta, id: 'live', source: 'live' });
    e.meta = e.index.meta;
    return e.index;
  }

  /** Decompress what the given kernels need in the background (thread pool), e.g. while the
   *  server parses the first document, and decode each kernel as soon as its data is ready.
   *  Never throws: load problems are reported by get(). Resolves when all are loaded. */
  async preload(ids: readonly string[]): Promise<void> {
    const entries = this.all();
    await Promise.all(ids.map(async (id) => {
      const e = entries.get(id);
      if (!e?.file || e.index) return;
      await e.file.prefetch(this.fileIds.get(e.meta.id) ?? e.meta.id);
      // Decode this kernel now, while the others may still be decompressing.
      try {
        this.get(id);
      } catch {
        /* the next get() reports it */
      }
    }));
  }

  /** Read the running kernel (from the cache when it matches; async readers welcome);
   *  undefined when it is not offered. */
  async loadLive(): Promise<IndexedKernel | undefined> {
    this.ensureLive();
    const e = this.entries.get('live');
    if (!e || !this.liveLoader) return undefined;
    if (e.index) return e.index;
    if (!this.livePending) {
      const cached = this.cachedLive();
      this.livePending = cached
        ? Promise.resolve(this.setLive(cached, false))
        : Promise.resolve(this.liveLoader(this.liveOptions())).then((loaded) => this.setLive(loaded, true));
      this.livePending.catch(() => { this.livePending = undefined; });
    }
    return this.livePending;
  }

  /** Targets when the user configured none: `live` when readable, else DEFAULT_BUNDLED_TARGETS
   *  that are present. */
  defaultTargets(): string[] {
    // The running kernel first: a CLI run on `live` alone never opens the bundled atlases.
    this.ensureLive();
    if (this.entries.has('live')) return ['live'];
    const entries = this.all();
    return DEFAULT_BUNDLED_TARGETS.filter((id) => entries.has(id));
  }

  /** Resolve many specs, de-duplicated, keeping order; errors are collected, not thrown. An
   *  atlas file holding several kernels (`index --btf DIR`, `merge`) stands for all of them. */
  resolveAll(specs: readonly string[]): { ids: string[]; errors: string[] } {
    const ids: string[] = [];
    const errors: string[] = [];
    for (const s of specs) {
      try {
        for (const id of this.resolveFile(s) ?? [this.resolve(s)]) if (!ids.includes(id)) ids.push(id);
      } catch (e) {
        errors.push((e as Error).message);
      }
    }
    return { ids, errors };
  }

  /** The kernels of an atlas file holding several; undefined for any other spec. */
  private resolveFile(spec: string): string[] | undefined {
    const s = spec.trim();
    if (!s || this.all().has(s) || !looksLikePath(s)) return undefined;
    const abs = path.resolve(s);
    const ids = this.filePaths.get(abs) ?? this.addFile(s);
    return ids.length > 1 ? ids : undefined;
  }
}

function isPromise<T>(v: T | Promise<T>): v is Promise<T> {
  return !!v && typeof (v as Promise<T>).then === 'function';
}

function isPlainImage(m: KernelMeta): boolean {
  return (m.arch === 'amd64' || m.arch === 'x86_64') && (!m.flavor || m.flavor === 'generic' || m.flavor === 'amd64');
}

function looksLikePath(s: string): boolean {
  if (s.includes('/') || s.includes(path.sep) || s.endsWith('.atlas')) return true;
  try {
    return fs.statSync(s).isFile();
  } catch {
    return false;
  }
}
