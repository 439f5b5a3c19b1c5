// Converts the DepSurf data set (Ubuntu kernels 16.04-24.04, 5.4 arch images and flavours; see
// the DepSurf README next to the data) into one KernelFacts JSON per image under
// .cache/facts/ubuntu-*.json, which scripts/build-bundle.ts packs into data/atlas/ubuntu.atlas.
// The repository never needs the DepSurf files at run time: only this generator reads them.
//
//   node out/scripts/ubuntu/build.js [--depsurf DIR] [--out DIR] [--offsets]
//   (DIR defaults: $DEPSURF_DIR or ../shared/data/depsurf; .cache/facts)
//   node out/scripts/ubuntu/build.js --learn-sizes .cache/facts   (refresh x86_64-field-sizes.json)
//
// What each fact is made of (and what DepSurf cannot say, left null/unknown):
//   functions: inline none/selective/full → none/partial/full; inlinedSites = inlined_sites or
//     inlined_callers; symbols as listed (repeats = duplicate statics); proto parsed from DepSurf's
//     C rendering; initOnly when every symbol is in .init.text; inBtf = proto present AND the
//     shipped config has DEBUG_INFO_BTF=y; ftrace and kprobeBlacklisted unknown (null).
//     The 12 names whose page is missing from the snapshot become noData records.
//   tracepoints: fields from the raw event struct (types in order), args from
//     trace_event_raw_event_<class>, fmt, system. DepSurf gives no offsets, so none are shipped
//     (coverage.exactFieldOffsets false). With --offsets, amd64 offsets are recomputed from the
//     types (x86_64 sizes learned from the Debian images' exact layouts, natural alignment;
//     test/unit/atlas checks them against Debian): not the default until the hover and its tests
//     can say "recomputed".
//   syscalls: the image's syscall table; args from __do_sys_<name> (or sys_<name>) prototypes.
//   LSM hooks: security_<hook> prototypes.
//   types: structs from structs.jsonl.gz (member lists with DepSurf's type spelling, anonymous
//     struct/union members already flattened into the parent, as CO-RE field access sees them; no
//     offsets, no unions, no typedefs), and the BPF UAPI enums (bpf_func_id, bpf_prog_type,
//     bpf_attach_type, bpf_map_type, bpf_link_type) from bpf-enums.json; coverage.types says so.
//   capabilities: the options kernels.json selects from each image's .config (KPROBES, BPF_EVENTS,
//     FTRACE_SYSCALLS, DEBUG_INFO_BTF, BPF_LSM, LSM); FPROBE is not among them, so unknown.

import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import zlib from 'node:zlib';
import { markName, parseCProto } from '../../server/src/atlas/cproto';
import { capabilitiesFromConfig, configuredLsms } from '../../server/src/kernel/config';
import { normalizeCType } from '../../server/src/model/cTypes';
import type {
  EnumFacts, FunctionFacts, KernelFacts, KernelMeta, LsmHookFacts, MemberFacts, Param, StructFacts, SyscallFacts,
  TraceField, TracepointFacts, TypesCoverage,
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

function args(argv: string[]): { depsurf: string; out: string; learnSizes?: string; offsets: boolean } {
  const root = repoRoot();
  let depsurf = process.env.DEPSURF_DIR ?? path.resolve(root, '..', 'shared', 'data', 'depsurf');
  let out = path.join(root, '.cache', 'facts');
  let learnSizes: string | undefined;
  let offsets = false;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--depsurf') depsurf = argv[++i];
    else if (argv[i] === '--out') out = argv[++i];
    else if (argv[i] === '--offsets') offsets = true;
    else if (argv[i] === '--learn-sizes') learnSizes = argv[++i];
    else throw new Error(`unknown argument ${argv[i]} (usage: build.js [--depsurf DIR] [--out DIR] [--offsets] | --learn-sizes FACTS_DIR)`);
  }
  return { depsurf, out, learnSizes, offsets };
}

/** The committed x86_64 field size table. */
export function loadFieldSizes(file = SIZES_FILE): Record<string, number> | undefined {
  return fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as { sizes: Record<string, number> }).sizes : undefined;
}

/** Byte sizes of trace event field types on x86_64, as the Debian images' exact event layouts
 *  give them (committed: scripts/ubuntu/x86_64-field-sizes.json; regenerated with
 *  `--learn-sizes .cache/facts`). Types seen with two sizes are left out. */
const SIZES_FILE = path.join(repoRoot(), 'scripts', 'ubuntu', 'x86_64-field-sizes.json');

function learnSizes(factsDir: string): void {
  const sizes = new Map<string, number>();
  const conflicts = new Set<string>();
  const files = fs.readdirSync(factsDir).filter((f) => /^debian-.*\.json$/.test(f)).sort();
  if (!files.length) throw new Error(`${factsDir}: no debian-*.json facts (run scripts/debian/build first)`);
  for (const f of files) {
    const facts = JSON.parse(fs.readFileSync(path.join(factsDir, f), 'utf8')) as KernelFacts;
    if (facts.meta.arch !== 'x86_64' && facts.meta.arch !== 'amd64') continue;
    for (const t of facts.tracepoints) {
      // Syscall events store every argument in an 8-byte slot whatever its type.
      if (/^sys_(enter|exit)/.test(t.name)) continue;
      for (const fl of t.fields ?? []) {
        // Arrays, and structs/unions (their alignment need not equal their size), are not scalars.
        if (fl.size === undefined || fl.type.includes('[') || /^(const )?(struct|union) /.test(fl.type)) continue;
        const type = canonicalType(fl.type);
        const seen = sizes.get(type);
        if (seen !== undefined && seen !== fl.size) conflicts.add(type);
        sizes.set(type, fl.size);
      }
    }
  }
  for (const c of conflicts) sizes.delete(c);
  const table = Object.fromEntries([...sizes.entries()].filter(([, n]) => n <= 8).sort(([a], [b]) => (a < b ? -1 : 1)));
  fs.writeFileSync(SIZES_FILE, `${JSON.stringify({ source: `exact trace event field sizes of ${files.join(', ')} (bpf-atlas scripts/debian/build), syscall events and types seen with two sizes left out`, sizes: table }, null, 1)}\n`);
  console.log(`${SIZES_FILE}: ${Object.keys(table).length} types (${conflicts.size} ambiguous left out)`);
}

/** One spelling per C type for the size table: `long unsigned int` → `unsigned long`. */
function canonicalType(type: string): string {
  return normalizeCType(type).replace(/\b(?:(?:signed|unsigned|short|long|int|char)\s+)*(?:signed|unsigned|short|long|int|char)\b/g, (words) => {
    const w = words.split(/\s+/);
    const longs = w.filter((x) => x === 'long').length;
    const sign = w.includes('unsigned') ? 'unsigned ' : '';
    if (w.includes('char')) return `${sign || (w.includes('signed') ? 'signed ' : '')}char`;
    return `${sign}${w.includes('short') ? 'short' : longs >= 2 ? 'long long' : longs === 1 ? 'long' : 'int'}`;
  });
}

/** Record offsets of an x86_64 event from its field types: the 8-byte common header, then each
 *  field at its natural alignment (what the compiler does for trace_event_raw_<class>). All or
 *  nothing: one type of unknown size leaves the whole event without offsets. Checked against
 *  the exact Debian layouts of the same events (0 differences over ~2,500 events). */
export function withOffsets(fields: TraceField[], sizes: Record<string, number>): TraceField[] {
  let off = 8;
  const out: TraceField[] = [];
  for (const f of fields) {
    let type = f.type;
    let count = 1;
    const arr = /^(.*?)\s*\[(\d+)\]$/.exec(type);
    if (arr) {
      type = arr[1];
      count = Number(arr[2]);
    }
    let size: number | undefined;
    if (f.type === '__data_loc char[]' || f.name.startsWith('__data_loc_')) size = 4;
    else if (/\*$/.test(type.trim())) size = 8;
    else size = sizes[canonicalType(type)];
    if (size === undefined || ![1, 2, 4, 8].includes(size)) return fields;
    off = Math.ceil(off / size) * size;
    out.push({ ...f, offset: off, size: size * count });
    off += size * count;
  }
  return out;
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

/** A DepSurf image's capabilities from the options kernels.json selects (`null` = not set, a
 *  missing key = not recorded, so unknown); its active LSMs are CONFIG_LSM's default order. */
export function dsCapabilities(k: Pick<DsKernel, 'config' | 'ubuntu' | 'release' | 'flavor'>): KernelMeta['capabilities'] {
  const options = new Map<string, string | null>();
  for (const [name, value] of Object.entries(k.config)) options.set(name, value === null ? null : String(value));
  const config = { options, source: `DepSurf kernels.json (Ubuntu ${k.ubuntu} ${k.release}-${k.flavor} .config)`, complete: false };
  return capabilitiesFromConfig(config, configuredLsms(config, ' (the default; lsm= at boot can change it)'));
}

async function main(): Promise<void> {
  const { depsurf, out, learnSizes: sizesFrom, offsets } = args(process.argv.slice(2));
  if (sizesFrom) return learnSizes(sizesFrom);
  const sizes = offsets ? loadFieldSizes() : undefined;
  if (offsets && !sizes) console.warn(`${SIZES_FILE} missing: tracepoint offsets left out`);
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
      provenance: `DepSurf data set (Zhong et al., EuroSys '25): Ubuntu ${k.ubuntu} linux-image ${flavorRelease} ${k.arch} debug vmlinux (no modules)${k.gcc ? `, GCC ${k.gcc}` : ''}; struct member lists and BPF UAPI enums from its pahole BTF`,
      coverage: { inline: 'dwarf', ftrace: false, blacklist: false, modules: false, btf, exactFieldOffsets: false, types: DEPSURF_TYPES },
      counts: { functions: 0, tracepoints: 0, syscalls: 0, lsmHooks: 0 },
      capabilities: dsCapabilities(k),
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
      if (e.fields) {
        t.fields = traceFields(e.fields, e.fmt);
        if (sizes && kf.meta.arch === 'amd64') t.fields = withOffsets(t.fields, sizes);
      }
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
    kf.tracepoints.push(...syscallEvents(kf, list, new Set(protos?.keys() ?? [])));
  }

  await addTypes(depsurf, facts);

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

/** What DepSurf's type data holds: structs (no unions, no typedefs), member lists without
 *  layout, and only the BPF UAPI enums. */
const DEPSURF_TYPES: TypesCoverage = { structs: true, unions: false, typedefs: false, enums: 'bpf-uapi', layout: false, modules: false };

/** DepSurf's spelling of a member type in the BTF reader's (btf.ts typeName), so that a member's
 *  type compares equal across sources: `struct (anon)` → `struct {...}`, the name's place marked
 *  (`char[16]` → `char %[16]`), `void * %[4]` → `void *%[4]`, `int (*)()` → `int (*%)(void)`. */
export function depsurfMemberType(type: string): string {
  return markName(type.replace(/\((anon)\)/g, '{...}')).replace(/\* (?=[%(])/g, '*').replace(/\)\(\)/g, ')(void)');
}

const byName = (a: { name: string }, b: { name: string }) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/** Structs (structs.jsonl.gz) and BPF UAPI enums (bpf-enums.json) into each kernel's types. */
async function addTypes(depsurf: string, facts: Map<string, KernelFacts>): Promise<void> {
  for (const kf of facts.values()) kf.types = { structs: [], typedefs: [], enums: [] };
  let structs = 0;
  for await (const rec of jsonLines<{ name: string; kernels: Record<string, number>; variants: [string, string][][] }>(path.join(depsurf, 'structs.jsonl.gz'))) {
    structs++;
    const variants = rec.variants.map((v): MemberFacts[] => v.map(([type, name]) => ({ name, type: depsurfMemberType(type) })));
    for (const [kid, vi] of Object.entries(rec.kernels)) {
      const kf = facts.get(kid);
      if (!kf) throw new Error(`structs.jsonl.gz: ${rec.name} names unknown kernel ${kid}`);
      const members = variants[vi];
      if (!members) throw new Error(`structs.jsonl.gz: ${rec.name} on ${kid} names variant ${vi} of ${variants.length}`);
      const s: StructFacts = { name: rec.name, members };
      kf.types!.structs.push(s);
    }
  }
  const enumsFile = path.join(depsurf, 'bpf-enums.json');
  const enums = JSON.parse(fs.readFileSync(enumsFile, 'utf8')) as { kernels: Record<string, Record<string, [string, number][]>> };
  for (const [kid, byEnum] of Object.entries(enums.kernels)) {
    const kf = facts.get(kid);
    if (!kf) throw new Error(`${enumsFile}: unknown kernel ${kid}`);
    for (const [name, values] of Object.entries(byEnum)) {
      const e: EnumFacts = { name, values: values.map(([n, v]) => ({ name: n, value: v })) };
      kf.types!.enums.push(e);
    }
  }
  for (const kf of facts.values()) {
    kf.types!.structs.sort(byName);
    kf.types!.enums.sort(byName);
  }
  console.log(`types: ${structs} structs read; BPF UAPI enums of ${Object.keys(enums.kernels).length} kernels`);
}

/** The `syscalls:sys_enter_<name>` / `sys_exit_<name>` trace events of an image. DepSurf does not
 *  record them, but they follow from the syscall table on kernels built with FTRACE_SYSCALLS (all
 *  25 images): one pair per SYSCALL_DEFINE'd table entry (`ni_syscall` has none). The record
 *  layout is fixed by the kernel (struct syscall_trace_enter/exit: `int __syscall_nr` after the
 *  8-byte common header, then one unsigned long slot per argument, or `long ret`), so offsets are
 *  exact on 64-bit images; argument names and types are only known where the image kept a
 *  `__do_sys_`/`sys_` prototype, and otherwise the enter record's fields stay unknown. */
function syscallEvents(kf: KernelFacts, syscalls: SyscallFacts[], argsKnown: ReadonlySet<string>): TracepointFacts[] {
  const wide = kf.meta.arch !== 'armhf'; // 32-bit: 4-byte slots; leave offsets out rather than guess
  const slot = (i: number) => (wide ? { offset: 16 + 8 * i, size: 8 } : {});
  const nr: TraceField = { name: '__syscall_nr', type: 'int', ...(wide ? { offset: 8, size: 4 } : {}), signed: true };
  const events: TracepointFacts[] = [];
  for (const sc of syscalls) {
    if (sc.name === 'ni_syscall') continue;
    const enter: TracepointFacts = { name: `sys_enter_${sc.name}`, system: 'syscalls', template: 'syscall_enter', event: true, btf: false };
    if (argsKnown.has(sc.name)) enter.fields = [nr, ...sc.args.map((a, i) => ({ name: a.name, type: a.type.replace('%', '').trim(), ...slot(i) }))];
    const exit: TracepointFacts = {
      name: `sys_exit_${sc.name}`, system: 'syscalls', template: 'syscall_exit', event: true, btf: false,
      fields: [nr, { name: 'ret', type: 'long', ...(wide ? { offset: 16, size: 8 } : {}), signed: true }],
    };
    events.push(enter, exit);
  }
  return events;
}

if (require.main === module) {
  main().catch((e: Error) => {
    console.error(`build ubuntu facts: ${e.message}`);
    process.exit(1);
  });
}
