// Recomputes the per-function DWARF inline classes of a Debian kernel (the `<version>-inline.tsv`
// and `<version>-self-sites.tsv` that scripts/debian/build.ts reads) from its -dbg vmlinux, by
// streaming `llvm-dwarfdump --debug-info` once. Offline generation only.
//
// usage: node out/scripts/debian/dwarf-inline.js DEBUG_VMLINUX IMAGE_VMLINUX OUT_PREFIX [--dwarfdump CMD]
//   DEBUG_VMLINUX: the vmlinux of linux-image-<release>-dbg (with .debug_info)
//   IMAGE_VMLINUX: the vmlinux (or vmlinuz) of the image package, for its kallsyms and BTF (same build)
//   writes OUT_PREFIX-inline.tsv and OUT_PREFIX-self-sites.tsv
//
// What is counted, per DW_AT_name of a DW_TAG_subprogram (names with '/' skipped):
//   out_of_line_instances: subprogram DIEs with code (DW_AT_low_pc or DW_AT_ranges) that carry the
//     name or point to a DIE with it through DW_AT_abstract_origin/DW_AT_specification (GCC clones
//     .isra/.constprop/.part have their own concrete DIE, so they count);
//   inlined_sites: DW_TAG_inlined_subroutine DIEs whose abstract origin has the name;
//   self sites: inlined_subroutine DIEs of F anywhere under a top-level out-of-line body of F.
// Classes: fully_inlined (sites, no instance), partially_inlined (both), out_of_line_only
// (instances only), no_code (neither: declarations, unused abstract instances).

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { extractVmlinux } from '../../server/src/kernel/bzimage';
import { parseElf } from '../../server/src/kernel/elf';
import { imageBtf } from '../../server/src/kernel/imageFacts';
import { decodeKallsyms } from '../../server/src/kernel/kallsymsImage';
import { TextMap } from '../../server/src/kernel/symbols';
import { baseName, hasCompilerSuffix } from '../../server/src/model/symbols';

interface Die {
  tag: 'sub' | 'inl';
  off: number;
  depth: number;
  name?: string;
  /** Offset and quoted name of DW_AT_abstract_origin / DW_AT_specification. */
  ref?: number;
  refName?: string;
  hasCode: boolean;
}

const HEADER = /^0x([0-9a-f]+):( +)(DW_TAG_\w+|NULL)/;
const REF = /\(0x([0-9a-f]+)(?: "(.*)")?\)?/;
const QUOTED = /\("(.*)"\)/;

class InlineCounter {
  /** DIE offset → name, for every named subprogram DIE (targets of origin references). */
  private readonly nameAt = new Map<number, string>();
  private readonly instances = new Map<string, number>();
  private readonly sites = new Map<string, number>();
  private readonly selfSites = new Map<string, number>();
  private readonly pendingOol: number[] = [];
  private readonly pendingInl: number[] = [];
  private cur: Die | undefined;
  private top: string | undefined;
  dies = 0;

  line(l: string): void {
    if (l.charCodeAt(0) === 48 /* '0' */) {
      const m = HEADER.exec(l);
      if (!m) return;
      this.flush();
      if (m[3] !== 'NULL') this.dies++;
      const depth = (m[2].length - 1) >> 1;
      const tag = m[3];
      if (depth <= 1 && tag !== 'DW_TAG_subprogram') this.top = undefined;
      this.cur = tag === 'DW_TAG_subprogram' ? { tag: 'sub', off: parseInt(m[1], 16), depth, hasCode: false }
        : tag === 'DW_TAG_inlined_subroutine' ? { tag: 'inl', off: parseInt(m[1], 16), depth, hasCode: false } : undefined;
      return;
    }
    const d = this.cur;
    if (!d) return;
    const at = l.indexOf('DW_AT_');
    if (at < 0) return;
    let end = at + 6;
    while (end < l.length && l.charCodeAt(end) > 32) end++;
    const attr = l.slice(at, end);
    switch (attr) {
      case 'DW_AT_name': {
        const q = QUOTED.exec(l);
        if (q) d.name = q[1];
        break;
      }
      case 'DW_AT_abstract_origin':
      case 'DW_AT_specification': {
        const r = REF.exec(l.slice(at));
        if (r && d.ref === undefined) { d.ref = parseInt(r[1], 16); d.refName = r[2]; }
        break;
      }
      case 'DW_AT_low_pc':
      case 'DW_AT_ranges':
        d.hasCode = true;
        break;
      default:
    }
  }

  private flush(): void {
    const d = this.cur;
    this.cur = undefined;
    if (!d) return;
    if (d.tag === 'inl') {
      if (d.ref !== undefined) this.pendingInl.push(d.ref);
      if (d.depth > 1 && d.refName !== undefined && d.refName === this.top) bump(this.selfSites, d.refName);
      return;
    }
    if (d.depth === 1) this.top = d.name ?? d.refName;
    if (d.ref !== undefined) {
      if (d.hasCode) this.pendingOol.push(d.ref);
      return;
    }
    if (!d.name) return;
    this.nameAt.set(d.off, d.name);
    if (!this.instances.has(d.name)) this.instances.set(d.name, 0);
    if (d.hasCode) bump(this.instances, d.name);
  }

  finish(): { rows: Map<string, { instances: number; sites: number }>; selfSites: Map<string, number>; unresolved: number } {
    this.flush();
    let unresolved = 0;
    for (const off of this.pendingOol) {
      const n = this.nameAt.get(off);
      if (n === undefined) unresolved++; else bump(this.instances, n);
    }
    for (const off of this.pendingInl) {
      const n = this.nameAt.get(off);
      if (n === undefined) unresolved++; else bump(this.sites, n);
    }
    const rows = new Map<string, { instances: number; sites: number }>();
    for (const [name, instances] of this.instances) {
      if (name.includes('/')) continue;
      rows.set(name, { instances, sites: this.sites.get(name) ?? 0 });
    }
    return { rows, selfSites: this.selfSites, unresolved };
  }
}

function bump(m: Map<string, number>, k: string): void {
  m.set(k, (m.get(k) ?? 0) + 1);
}

function classOf(r: { instances: number; sites: number }): string {
  if (r.sites && !r.instances) return 'fully_inlined';
  if (r.sites && r.instances) return 'partially_inlined';
  return r.instances ? 'out_of_line_only' : 'no_code';
}

async function main(): Promise<void> {
  const [debugVmlinux, imageVmlinux, outPrefix] = process.argv.slice(2).filter((a, i, all) => !a.startsWith('--') && all[i - 1] !== '--dwarfdump');
  if (!debugVmlinux || !imageVmlinux || !outPrefix) {
    console.error('usage: dwarf-inline.js DEBUG_VMLINUX IMAGE_VMLINUX OUT_PREFIX [--dwarfdump llvm-dwarfdump-14]');
    process.exit(2);
  }
  const di = process.argv.indexOf('--dwarfdump');
  const dwarfdump = di >= 0 ? process.argv[di + 1] : 'llvm-dwarfdump-14';

  const image = fs.readFileSync(imageVmlinux);
  const isElf = image[0] === 0x7f && image[1] === 0x45;
  const elf = parseElf(isElf ? image : extractVmlinux(image, imageVmlinux), imageVmlinux);
  const btfFuncs = new Set<string>();
  for (const f of imageBtf(elf).funcs()) btfFuncs.add(f.name);
  const text = new TextMap(decodeKallsyms(elf).symbols, imageVmlinux);
  const plain = new Set<string>();
  const suffixed = new Map<string, string[]>();
  for (const f of text.functions) {
    if (!hasCompilerSuffix(f.name)) { plain.add(f.name); continue; }
    const b = baseName(f.name);
    const l = suffixed.get(b);
    if (l) { if (!l.includes(f.name)) l.push(f.name); } else suffixed.set(b, [f.name]);
  }

  const t0 = Date.now();
  const counter = new InlineCounter();
  const child = spawn(dwarfdump, ['--debug-info', debugVmlinux], { stdio: ['ignore', 'pipe', 'inherit'] });
  let rest = '';
  child.stdout.setEncoding('utf8');
  for await (const chunk of child.stdout as AsyncIterable<string>) {
    const lines = (rest + chunk).split('\n');
    rest = lines.pop() ?? '';
    for (const l of lines) counter.line(l);
  }
  if (rest) counter.line(rest);
  const code: number = child.exitCode ?? await new Promise((res) => child.on('close', res));
  if (code !== 0) throw new Error(`${dwarfdump} exited with ${code}`);
  const { rows, selfSites, unresolved } = counter.finish();

  const names = [...rows.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const out = ['name\tclass\tout_of_line_instances\tinlined_sites\tplain_symbol\tsuffixed_symbols\tin_btf'];
  const classes = new Map<string, number>();
  for (const n of names) {
    const r = rows.get(n)!;
    const c = classOf(r);
    classes.set(c, (classes.get(c) ?? 0) + 1);
    out.push([n, c, r.instances, r.sites, plain.has(n) ? 1 : 0, (suffixed.get(n) ?? []).sort().join(','), btfFuncs.has(n) ? 1 : 0].join('\t'));
  }
  fs.writeFileSync(`${outPrefix}-inline.tsv`, out.join('\n') + '\n');
  const self = ['name\tself_inlined_sites', ...[...selfSites].sort((a, b) => (a[0] < b[0] ? -1 : 1)).map(([n, c]) => `${n}\t${c}`)];
  fs.writeFileSync(`${outPrefix}-self-sites.tsv`, self.join('\n') + '\n');
  console.log(JSON.stringify({ dies: counter.dies, names: names.length, classes: Object.fromEntries(classes), selfSiteNames: selfSites.size, unresolved, seconds: (Date.now() - t0) / 1000 }));
}

main().catch((e) => {
  console.error((e as Error).message);
  process.exit(1);
});
