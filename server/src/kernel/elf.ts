// ELF64 little-endian reader for kernel images (vmlinux) and loadable modules (.ko). It owns the
// section table, symbol tables, RELA relocations and the link-time address → file offset map that
// the data walks in vmlinux.ts need. Addresses are BigInt: kernel addresses (0xffffffff8…) do not
// fit a JS number exactly. Pure over bytes; `file` only names the input in errors.

import { KernelDataError } from './errors';

export const SHT_SYMTAB = 2;
export const SHT_RELA = 4;
export const SHT_NOBITS = 8;

export interface ElfSection {
  index: number;
  name: string;
  type: number;
  flags: bigint;
  addr: bigint;
  offset: number;
  size: number;
  link: number;
  info: number;
  entsize: number;
}

export interface ElfSymbol {
  name: string;
  value: bigint;
  size: number;
  /** STT_* (low 4 bits of st_info). */
  type: number;
  /** STB_* (high 4 bits of st_info). */
  bind: number;
  /** Section index (SHN_UNDEF = 0, SHN_ABS = 0xfff1, ...). */
  shndx: number;
}

export interface ElfRela {
  offset: bigint;
  symbol: number;
  type: number;
  addend: bigint;
}

export interface ElfFile {
  file: string;
  bytes: Uint8Array;
  view: DataView;
  /** ET_REL (1) for modules, ET_EXEC (2) for vmlinux. */
  elfType: number;
  sections: ElfSection[];
  section(name: string): ElfSection | undefined;
  /** Bytes of a section (empty for NOBITS). */
  sectionBytes(s: ElfSection): Uint8Array;
  /** File offset of a link-time virtual address, or undefined when no loaded section holds it. */
  offsetOf(addr: bigint): number | undefined;
  /** `.symtab` entries (empty when stripped, as Debian's vmlinux is). */
  symbols(): ElfSymbol[];
  /** RELA entries of a relocation section. */
  relocations(s: ElfSection): ElfRela[];
}

const decoder = new TextDecoder('utf-8');

/** NUL-terminated string at `off` in `bytes` (to the end when unterminated). */
export function cString(bytes: Uint8Array, off: number): string {
  let end = off;
  while (end < bytes.length && bytes[end] !== 0) end++;
  return decoder.decode(bytes.subarray(off, end));
}

/** The ELF identification bytes: a 64-bit little-endian ELF, or a KernelDataError saying why not. */
function checkIdent(bytes: Uint8Array, file: string): void {
  if (bytes.length < 64) throw new KernelDataError(file, `not an ELF file: only ${bytes.length} bytes`);
  if (bytes[0] !== 0x7f || bytes[1] !== 0x45 || bytes[2] !== 0x4c || bytes[3] !== 0x46) {
    throw new KernelDataError(file, 'not an ELF file (no \\x7fELF magic)');
  }
  if (bytes[4] !== 2) throw new KernelDataError(file, 'not a 64-bit ELF (EI_CLASS is not ELFCLASS64)');
  if (bytes[5] !== 1) throw new KernelDataError(file, 'not a little-endian ELF (EI_DATA is not ELFDATA2LSB)');
}

/** The section headers with their names, each checked to lie inside the file. */
function readSections(bytes: Uint8Array, view: DataView, file: string): ElfSection[] {
  const shoff = Number(view.getBigUint64(0x28, true));
  const shentsize = view.getUint16(0x3a, true);
  const shnum = view.getUint16(0x3c, true);
  const shstrndx = view.getUint16(0x3e, true);
  if (shnum === 0) throw new KernelDataError(file, 'ELF has no section headers');
  if (shentsize < 64) throw new KernelDataError(file, `ELF section header size ${shentsize} is too small`);
  if (shoff + shnum * shentsize > bytes.length) {
    throw new KernelDataError(file, `truncated ELF: section headers end at ${shoff + shnum * shentsize}, file has ${bytes.length} bytes`);
  }
  const raw: { section: ElfSection; nameOff: number }[] = [];
  for (let i = 0; i < shnum; i++) {
    const o = shoff + i * shentsize;
    const s: ElfSection = {
      index: i,
      name: '',
      type: view.getUint32(o + 4, true),
      flags: view.getBigUint64(o + 8, true),
      addr: view.getBigUint64(o + 16, true),
      offset: Number(view.getBigUint64(o + 24, true)),
      size: Number(view.getBigUint64(o + 32, true)),
      link: view.getUint32(o + 40, true),
      info: view.getUint32(o + 44, true),
      entsize: Number(view.getBigUint64(o + 56, true)),
    };
    if (s.type !== SHT_NOBITS && s.type !== 0 && s.offset + s.size > bytes.length) {
      throw new KernelDataError(file, `truncated ELF: section ${i} ends at ${s.offset + s.size}, file has ${bytes.length} bytes`);
    }
    raw.push({ section: s, nameOff: view.getUint32(o, true) });
  }
  if (shstrndx >= shnum) throw new KernelDataError(file, `ELF section-name table index ${shstrndx} out of range`);
  const shstr = raw[shstrndx].section;
  return raw.map(({ section, nameOff }) => {
    if (nameOff >= shstr.size) throw new KernelDataError(file, `ELF section ${section.index} has a name offset outside the name table`);
    section.name = cString(bytes, shstr.offset + nameOff);
    return section;
  });
}

export function parseElf(bytes: Uint8Array, file: string): ElfFile {
  checkIdent(bytes, file);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const elfType = view.getUint16(0x10, true);
  const sections = readSections(bytes, view, file);
  const byName = new Map<string, ElfSection>();
  for (const s of sections) if (!byName.has(s.name)) byName.set(s.name, s);

  // Loaded (addressed, file-backed) sections sorted by address for offsetOf().
  const loaded = sections.filter((s) => s.addr !== 0n && s.type !== SHT_NOBITS && s.size > 0).sort((a, b) => (a.addr < b.addr ? -1 : a.addr > b.addr ? 1 : 0));
  const sectionBytes = (s: ElfSection) => (s.type === SHT_NOBITS ? new Uint8Array(0) : bytes.subarray(s.offset, s.offset + s.size));

  return {
    file, bytes, view, elfType, sections,
    section: (name) => byName.get(name),
    sectionBytes,
    offsetOf(addr: bigint): number | undefined {
      let lo = 0, hi = loaded.length - 1, found = -1;
      while (lo <= hi) {
        const mid = (lo + hi) >> 1;
        if (loaded[mid].addr <= addr) { found = mid; lo = mid + 1; } else hi = mid - 1;
      }
      // Sections may overlap in address (percpu at 0 is excluded above); check a few back.
      for (let i = found; i >= 0 && i >= found - 3; i--) {
        const s = loaded[i];
        if (addr >= s.addr && addr < s.addr + BigInt(s.size)) return s.offset + Number(addr - s.addr);
      }
      return undefined;
    },
    symbols(): ElfSymbol[] {
      const symtab = sections.find((s) => s.type === SHT_SYMTAB);
      if (!symtab) return [];
      const strtab = sections[symtab.link];
      if (!strtab) throw new KernelDataError(file, '.symtab links to a missing string table');
      const out: ElfSymbol[] = [];
      for (let o = symtab.offset; o + 24 <= symtab.offset + symtab.size; o += 24) {
        const info = bytes[o + 4];
        out.push({
          name: cString(bytes, strtab.offset + view.getUint32(o, true)),
          type: info & 0xf,
          bind: info >> 4,
          shndx: view.getUint16(o + 6, true),
          value: view.getBigUint64(o + 8, true),
          size: Number(view.getBigUint64(o + 16, true)),
        });
      }
      return out;
    },
    relocations(s: ElfSection): ElfRela[] {
      if (s.type !== SHT_RELA) throw new KernelDataError(file, `section ${s.name} is not a RELA section`);
      const out: ElfRela[] = [];
      for (let o = s.offset; o + 24 <= s.offset + s.size; o += 24) {
        const info = view.getBigUint64(o + 8, true);
        out.push({ offset: view.getBigUint64(o, true), symbol: Number(info >> 32n), type: Number(info & 0xffffffffn), addend: view.getBigInt64(o + 16, true) });
      }
      return out;
    },
  };
}
