// Converts the DepSurf data set (Ubuntu kernels 16.04-24.04, 5.4 arch images and flavours; see
// the DepSurf README next to the data) into one KernelFacts JSON per image under
// .cache/facts/ubuntu-*.json, which scripts/build-bundle.ts packs into data/atlas/ubuntu.atlas.
// The repository never needs the DepSurf files at run time: only this generator reads them.
//
//   node out/scripts/ubuntu/build.js [--depsurf DIR] [--out DIR]
//   (DIR defaults: $DEPSURF_DIR or ../shared/data/depsurf; .cache/facts)
//
// What each fact is made of (and what DepSurf cannot say, left null/unknown):
//   functions: inline none/selective/full → none/partial/full; inlinedSites = inlined_sites or
//     inlined_callers; symbols as listed (repeats = duplicate statics); proto parsed from DepSurf's
//     C rendering; initOnly when every symbol is in .init.text; inBtf = proto present AND the
//     shipped config has DEBUG_INFO_BTF=y; ftrace and kprobeBlacklisted unknown (null).
//     The 12 names whose page is missing from the snapshot become noData records.
//   tracepoints: fields from the raw event struct (types in order; offsets not given, so
//     coverage.exactFieldOffsets is false), args from trace_event_raw_event_<class>, fmt, system.
//   syscalls: the image's syscall table; args from __do_sys_<name> (or sys_<name>) prototypes.
//   LSM hooks: security_<hook> prototypes.

import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import zlib from 'node:zlib';
import { parseCProto, normalizeCType } from '../../server/src/atlas/cproto';
import type {
  FunctionFacts, KernelFacts, KernelMeta, LsmHookFacts, Param, SyscallFacts, TraceField, TracepointFacts,
} from '../../server/src/atlas/model';

interface DsKernel {
  id: string; version: string; release: string; flavor: string; arch: string; group: string;
  ubuntu: string; ubuntu_codename: string; ubuntu_lts: boolean; ubuntu_version_signature?: string;
  gcc?: string; config: Record<string, string | number | null>;
}

interface DsFunctionEntry {
  inline?: 'none' | 'selective' | 'full';
  collision?: string;
  symbols?: string[];
  sections?: Record<string, string>;
  proto?: string;
  inlined_callers?: number;
  inlined_sites?: number;
  inlined_into?: string[];
}

/** Natural atlas id of a DepSurf image: `ubuntu-22.04`, `ubuntu-20.04-arm64`, `ubuntu-20.04-aws`. */
export function ubuntuId(k: Pick<DsKernel, 'ubuntu' | 'arch' | 'flavor' | 'group'>): string {
  if (k.group === 'Arch') return `ubuntu-${k.ubuntu}-${k.arch}`;
  if (k.group === 'Flavor') return `ubuntu-${k.ubuntu}-${k.flavor}`;
  return `ubuntu-${k.ubuntu}`;
}

/** The repository root: the nearest folder above this script with package.json. */
export function repoRoot(from = __dirname): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) return process.cwd();
  }
}

function args(argv: string[]): { depsurf: string; out: string } {
  const root = repoRoot();
  let depsurf = process.env.DEPSURF_DIR ?? path.resolve(root, '..', 'shared', 'data', 'depsurf');
  let out = path.join(root, '.cache', 'facts');
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--depsurf') depsurf = argv[++i];
    else if (argv[i] === '--out') out = argv[++i];
    else throw new Error(`unknown argument ${argv[i]} (usage: build.js [--depsurf DIR] [--out DIR])`);
  }
  return { depsurf, out };
}

async function* jsonLines<T>(file: string): AsyncGenerator<T> {
  const rl = readline.createInterface({ input: fs.createReadStream(file).pipe(zlib.createGunzip()), crlfDelay: Infinity });
  for await (const line of rl) if (line.trim()) yield JSON.parse(line) as T;
}

function inlineStatus(s: DsFunctionEntry['inline']): FunctionFacts['inline'] {
  return s === 'selective' ? 'partial' : s === 'full' ? 'full' : s === 'none' ? 'none' : 'unknown';
}

function functionFacts(name: string, e: DsFunctionEntry, btf: boolean): FunctionFacts {
  const symbols = e.symbols ?? [];
  const f: FunctionFacts = {
    name,
    symbols,
    inBtf: btf && !!e.proto,
    inline: symbols.length === 0 ? 'full' : inlineStatus(e.inline),
    ftrace: null,
    kprobeBlacklisted: null,
  };
  if (e.proto) {
    const p = parseCProto(e.proto, name);
    if (p) f.proto = p;
    else console.warn(`warning: cannot read prototype of ${name}: ${e.proto}`);
  }
  if (f.inline === 'partial' || f.inline === 'full') {
    const sites = e.inlined_sites ?? e.inlined_callers;
    if (sites !== undefined) f.inlinedSites = sites;
    if (e.inlined_into?.length) f.inlinedInto = e.inlined_into;
  }
  if (symbols.length && e.sections && symbols.every((s) => e.sections![s] === '.init.text')) f.initOnly = true;
  return f;
}

/** DepSurf raw-struct members → trace event fields: the common header and the trailing
 *  `__data[0]` are dropped; `u32 __data_loc_X` becomes the tracefs spelling when the format
 *  shows a string. */
function traceFields(members: [string, string][], fmt: string | undefined): TraceField[] {
  const out: TraceField[] = [];
  for (const [type, name] of members) {
    if (type === 'struct trace_entry' && name === 'ent') continue;
    if (name === '__data' && /\[0\]$/.test(type)) continue;
    const loc = /^__data_loc_(.+)$/.exec(name);
    if (loc && fmt?.includes(`__get_str(${loc[1]})`)) {
      out.push({ name: loc[1], type: '__data_loc char[]' });
      continue;
    }
    out.push({ name, type: normalizeCType(type) });
  }
  return out;
}

async function main(): Promise<void> {
  const { depsurf, out } = args(process.argv.slice(2));
  const kernelsFile = path.join(depsurf, 'kernels.json');
  if (!fs.existsSync(kernelsFile)) throw new Error(`${kernelsFile}: not found (give the DepSurf data folder with --depsurf DIR)`);
  const ds = JSON.parse(fs.readFileSync(kernelsFile, 'utf8')) as { kernels: DsKernel[] };
  const facts = new Map<string, KernelFacts>();
  const btfOf = new Map<string, boolean>();
  for (const k of ds.kernels) {
    const btf = k.config.DEBUG_INFO_BTF === 'y';
    btfOf.set(k.id, btf);
    const flavorRelease = `${k.release}-${k.flavor}`;
    const meta: KernelMeta = {
      id: ubuntuId(k),
      release: flavorRelease,
      version: k.version,
      arch: k.arch,
      distro: 'ubuntu',
      codename: k.ubuntu_codename,
      flavor: k.flavor,
      lts: k.ubuntu_lts,
      source: 'bundled',
      provenance: `DepSurf data set (Zhong et al., EuroSys '25): Ubuntu ${k.ubuntu} linux-image ${flavorRelease} ${k.arch} debug vmlinux (no modules)${k.gcc ? `, GCC ${k.gcc}` : ''}`,
      coverage: { inline: 'dwarf', ftrace: false, blacklist: false, modules: false, btf, exactFieldOffsets: false },
      counts: { functions: 0, tracepoints: 0, syscalls: 0, lsmHooks: 0 },
    };
    facts.set(k.id, { meta, functions: [], tracepoints: [], syscalls: [], lsmHooks: [] });
  }

  // Functions (and, on the way, the prototypes syscall arguments come from).
  const syscallProtos = new Map<string, Map<string, Param[]>>(); // kernel → syscall → args
  const missing: string[] = [];
  let lines = 0;
  for await (const rec of jsonLines<{ name: string; missing?: boolean; kernels?: Record<string, DsFunctionEntry> }>(path.join(depsurf, 'functions.jsonl.gz'))) {
    lines++;
    if (rec.missing) {
      missing.push(rec.name);
      for (const kf of facts.values()) {
        kf.functions.push({ name: rec.name, symbols: [], inBtf: null, inline: 'unknown', ftrace: null, kprobeBlacklisted: null, noData: true });
      }
      continue;
    }
    const sys = /^(?:__do_sys_|sys_)(.+)$/.exec(rec.name);
    for (const [kid, e] of Object.entries(rec.kernels ?? {})) {
      const kf = facts.get(kid);
      if (!kf) throw new Error(`functions.jsonl.gz: ${rec.name} names unknown kernel ${kid}`);
      const f = functionFacts(rec.name, e, btfOf.get(kid)!);
      kf.functions.push(f);
      if (sys && f.proto && !f.proto.params.some((p) => p.type.includes('pt_regs'))) {
        let m = syscallProtos.get(kid);
        if (!m) syscallProtos.set(kid, (m = new Map()));
        // __do_sys_ carries the real types; sys_ only when no __do_sys_ was seen.
        if (rec.name.startsWith('__do_sys_') || !m.has(sys[1])) m.set(sys[1], f.proto.params);
      }
    }
  }
  console.log(`functions: ${lines} names read, ${missing.length} without data (${missing.join(' ')})`);

  // Tracepoints.
  for await (const rec of jsonLines<{ event: string; class: string; system?: string; kernels: Record<string, { fields?: [string, string][]; proto?: string; fmt?: string }> }>(path.join(depsurf, 'tracepoints.jsonl.gz'))) {
    for (const [kid, e] of Object.entries(rec.kernels)) {
      const kf = facts.get(kid);
      if (!kf) throw new Error(`tracepoints.jsonl.gz: ${rec.event} names unknown kernel ${kid}`);
      // The class can change between kernels; the raw-event prototype names this kernel's.
      const cls = (e.proto && /trace_event_raw_event_([A-Za-z0-9_]+)\(/.exec(e.proto)?.[1]) || rec.class;
      const version = kf.meta.version.split('.').map(Number);
      // tp_btf (BTF-typed raw tracepoints, btf_trace_<event>) exists from 5.5 on kernels with BTF.
      const tpBtf = kf.meta.coverage.btf && (version[0] > 5 || (version[0] === 5 && version[1] >= 5));
      const t: TracepointFacts = { name: rec.event, template: cls, event: true, btf: tpBtf };
      if (rec.system) t.system = rec.system;
      if (e.fields) t.fields = traceFields(e.fields, e.fmt);
      if (e.proto) {
        const p = parseCProto(e.proto, `trace_event_raw_event_${cls}`);
        if (p) t.args = p.params.filter((x, i) => !(i === 0 && x.name === '__data'));
        else console.warn(`warning: cannot read tracepoint prototype of ${rec.event}: ${e.proto}`);
      }
      if (e.fmt) t.fmt = e.fmt;
      kf.tracepoints.push(t);
    }
  }

  // LSM hooks.
  for await (const rec of jsonLines<{ hook: string; kernels: Record<string, { proto?: string }> }>(path.join(depsurf, 'lsm.jsonl.gz'))) {
    for (const [kid, e] of Object.entries(rec.kernels)) {
      const kf = facts.get(kid);
      if (!kf) throw new Error(`lsm.jsonl.gz: ${rec.hook} names unknown kernel ${kid}`);
      const h: LsmHookFacts = { name: rec.hook };
      const p = e.proto ? parseCProto(e.proto, `security_${rec.hook}`) : undefined;
      if (p) h.proto = p;
      kf.lsmHooks.push(h);
    }
  }

  // Syscalls.
  const tables = JSON.parse(zlib.gunzipSync(fs.readFileSync(path.join(depsurf, 'syscalls.json.gz'))).toString('utf8')) as Record<string, Record<string, string>>;
  for (const [kid, table] of Object.entries(tables)) {
    const kf = facts.get(kid);
    if (!kf) throw new Error(`syscalls.json.gz: unknown kernel ${kid}`);
    const protos = syscallProtos.get(kid);
    const seen = new Set<string>();
    const list: SyscallFacts[] = [];
    for (const [nr, name] of Object.entries(table).sort((a, b) => Number(a[0]) - Number(b[0]))) {
      if (seen.has(name)) continue;
      seen.add(name);
      list.push({ name, nr: Number(nr), args: protos?.get(name) ?? [] });
    }
    kf.syscalls = list;
  }

  fs.mkdirSync(out, { recursive: true });
  for (const kf of facts.values()) {
    kf.meta.counts = {
      functions: kf.functions.filter((f) => !f.noData).length,
      tracepoints: kf.tracepoints.length,
      syscalls: kf.syscalls.length,
      lsmHooks: kf.lsmHooks.length,
    };
    const file = path.join(out, `${kf.meta.id}.json`);
    fs.writeFileSync(file, JSON.stringify(kf));
    console.log(`${file}: ${kf.meta.counts.functions} functions, ${kf.meta.counts.tracepoints} tracepoints, ${kf.meta.counts.syscalls} syscalls, ${kf.meta.counts.lsmHooks} LSM hooks`);
  }
}

if (require.main === module) {
  main().catch((e: Error) => {
    console.error(`build ubuntu facts: ${e.message}`);
    process.exit(1);
  });
}
