// tracefs (and debugfs kprobes) text readers. It owns the text formats of
// `events/<system>/<event>/format`, `available_filter_functions` and `kprobes/blacklist`, each a
// pure parse over text, plus one thin reader that looks for a mounted tracefs and never requires
// root: whatever cannot be read (not mounted, EPERM, missing kernel option) becomes a problem
// message for the caller to show, not an exception.

import fs from 'node:fs';
import path from 'node:path';
import type { TraceField } from '../model/facts';
import { KernelDataError, describeFsError } from './errors';
import { normalizeCType } from '../model/cTypes';

/** A record field as a format file lists it; `common` marks the shared `common_*` header. */
export interface EventField extends TraceField {
  common?: boolean;
}

export interface EventFormat {
  name: string;
  /** The event id (`ID:` line). */
  id?: number;
  /** Trace system, from the file's path `events/<system>/<event>/format` when it has that shape. */
  system?: string;
  fields: EventField[];
  printFmt: string;
}

export interface FilterFunction {
  name: string;
  module?: string;
}

export interface BlacklistEntry {
  start: bigint;
  end: bigint;
  name: string;
  module?: string;
}

const FIELD_LINE = /^\s*field:(.*?);\s*offset:(\d+);\s*size:(\d+);(?:\s*signed:(-?\d+);)?/;

/**
 * Parse one `format` file. Throws KernelDataError (naming `file`) when the text has no `name:` or
 * no `format:` section, or a field line does not have the `field:…;offset:…;size:…;` shape.
 */
export function parseEventFormat(text: string, file: string): EventFormat {
  let name: string | undefined;
  let id: number | undefined;
  let inFormat = false;
  let printFmt = '';
  const fields: EventField[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line.startsWith('name:')) {
      name = line.slice(5).trim();
    } else if (line.startsWith('ID:')) {
      const n = Number(line.slice(3).trim());
      if (Number.isInteger(n)) id = n;
    } else if (line.startsWith('format:')) {
      inFormat = true;
    } else if (line.startsWith('print fmt:')) {
      printFmt = line.slice('print fmt:'.length).trim();
      inFormat = false;
    } else if (inFormat && line.trim() !== '') {
      const m = FIELD_LINE.exec(line);
      if (!m) throw new KernelDataError(file, `line ${i + 1} is not a field line: ${JSON.stringify(line.slice(0, 120))}`);
      const { name: fieldName, type } = splitFieldDecl(m[1]);
      const field: EventField = { name: fieldName, type, offset: Number(m[2]), size: Number(m[3]) };
      if (m[4] !== undefined) field.signed = m[4] !== '0';
      if (fieldName.startsWith('common_')) field.common = true;
      fields.push(field);
    }
  }
  if (name === undefined || name === '') throw new KernelDataError(file, 'not a trace event format file: no "name:" line');
  if (!text.includes('\nformat:') && !text.startsWith('format:')) {
    throw new KernelDataError(file, 'not a trace event format file: no "format:" section');
  }
  const ev: EventFormat = { name, fields, printFmt };
  if (id !== undefined) ev.id = id;
  const m = /(?:^|[\\/])events[\\/]([^\\/]+)[\\/]([^\\/]+)[\\/]format$/.exec(file);
  if (m) ev.system = m[1];
  return ev;
}

/**
 * `char prev_comm[16]` → { name: prev_comm, type: char[16] }; `__data_loc char[] cmd` →
 * { cmd, `__data_loc char[]` }; `const char * filename` → { filename, `const char *` }: the name
 * is the last identifier, an array suffix on it moves to the type (the kernel's own spelling).
 */
export function splitFieldDecl(decl: string): { name: string; type: string } {
  const d = decl.trim().replace(/\s+/g, ' ');
  const m = /^(.*?)([A-Za-z_$][\w$]*)((?:\s*\[[^\]]*\])*)$/.exec(d);
  if (!m || m[1].trim() === '') return { name: d, type: '' };
  return { name: m[2], type: normalizeCType(m[1].trim() + m[3].replace(/\s+/g, '')) };
}

/** `available_filter_functions`: one `name` or `name [module]` per line. */
export function parseAvailableFilterFunctions(text: string): FilterFunction[] {
  const out: FilterFunction[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const m = /^(\S+)(?:\s+\[([^\]]+)\])?/.exec(line);
    if (!m) continue;
    const f: FilterFunction = { name: m[1] };
    if (m[2]) f.module = m[2];
    out.push(f);
  }
  return out;
}

/** `kprobes/blacklist`: `0xstart-0xend\tname` (addresses zero for non-root readers), optional `[module]`. */
export function parseKprobeBlacklist(text: string): BlacklistEntry[] {
  const out: BlacklistEntry[] = [];
  for (const raw of text.split('\n')) {
    const m = /^\s*0x([0-9a-fA-F]+)-0x([0-9a-fA-F]+)\s+(\S+)(?:\s+\[([^\]]+)\])?/.exec(raw);
    if (!m) continue;
    const e: BlacklistEntry = { start: BigInt('0x' + m[1]), end: BigInt('0x' + m[2]), name: m[3] };
    if (m[4]) e.module = m[4];
    out.push(e);
  }
  return out;
}

export interface TracefsData {
  /** The tracefs root that was read, when one was found. */
  root?: string;
  events: EventFormat[];
  /** Undefined when available_filter_functions could not be read (see problems). */
  filterFunctions?: FilterFunction[];
  /** Undefined when the kprobe blacklist could not be read (see problems). */
  blacklist?: BlacklistEntry[];
  /** One clear sentence per thing that could not be read. */
  problems: string[];
}

export interface ReadTracefsOptions {
  /** debugfs mount holding `kprobes/blacklist`. Default /sys/kernel/debug when no tracefs root is given. */
  debugfs?: string;
  /** Also read `available_filter_functions` (a few MB on a big kernel). Default true. */
  filterFunctions?: boolean;
}

export const TRACEFS_ROOTS = ['/sys/kernel/tracing', '/sys/kernel/debug/tracing'];

/**
 * Read what a tracefs offers without needing root: every event format, available_filter_functions
 * and the kprobe blacklist. With `root` only that folder (or those, first readable wins) is tried,
 * else the usual mount points.
 */
export function readTracefs(root?: string | string[], opts: ReadTracefsOptions = {}): TracefsData {
  const problems: string[] = [];
  const candidates = root === undefined ? TRACEFS_ROOTS : typeof root === 'string' ? [root] : root;
  const found = findEventsRoot(candidates, problems);
  const data: TracefsData = { events: [], problems };
  if (found) {
    data.root = found;
    data.events = readEvents(path.join(found, 'events'), problems);
    if (opts.filterFunctions !== false) {
      const file = path.join(found, 'available_filter_functions');
      const text = readText(file, problems, FILTER_FUNCTIONS_UNKNOWN);
      if (text !== undefined) data.filterFunctions = parseAvailableFilterFunctions(text);
    }
  }
  const debugfs = opts.debugfs ?? (root === undefined ? '/sys/kernel/debug' : undefined);
  if (debugfs) {
    const file = path.join(debugfs, 'kprobes', 'blacklist');
    const text = readText(file, problems, BLACKLIST_UNKNOWN);
    if (text !== undefined) data.blacklist = parseKprobeBlacklist(text);
  }
  return data;
}

/** The first candidate whose `events/` folder can be listed; otherwise a problem saying why. */
export function findEventsRoot(candidates: string[], problems: string[]): string | undefined {
  const tried: string[] = [];
  let denied = false;
  for (const c of candidates) {
    const events = path.join(c, 'events');
    try {
      fs.readdirSync(events);
      return c;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EACCES' || code === 'EPERM') denied = true;
      tried.push(`${events}: ${describeFsError(e)}`);
    }
  }
  const hint = denied
    ? 'it is mounted but readable by root only: run as root, or build an atlas as root on the host (bpf-atlas index --live)'
    : 'as root, mount -t tracefs nodev /sys/kernel/tracing';
  problems.push(`tracefs is not readable (${tried.join('; ')}); tracepoint systems and exact record offsets need it: ${hint}`);
  return undefined;
}

function readEvents(eventsDir: string, problems: string[]): EventFormat[] {
  const out: EventFormat[] = [];
  let unreadable = 0;
  let firstUnreadable = '';
  for (const [system, events] of listEventDirs(eventsDir, problems)) {
    for (const event of events) {
      const file = path.join(eventsDir, system, event, 'format');
      let text: string;
      try {
        text = fs.readFileSync(file, 'utf8');
      } catch (e) {
        if (unreadable++ === 0) firstUnreadable = `${file}: ${describeFsError(e)}`;
        continue;
      }
      try {
        out.push(parseEventFormat(text, file));
      } catch (e) {
        problems.push(e instanceof Error ? e.message : String(e));
      }
    }
  }
  if (unreadable) problems.push(`${unreadable} event format file(s) unreadable, e.g. ${firstUnreadable}`);
  return out;
}

function readText(file: string, problems: string[], consequence: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (e) {
    problems.push(`${file}: ${describeFsError(e)}; ${consequence}`);
    return undefined;
  }
}

/**
 * Names only: `events/<system>/<event>` folders, system → event names (directory order), for
 * readers that parse a format file the first time its event is asked for. Unlistable folders
 * become problems.
 */
export function listEventDirs(eventsDir: string, problems: string[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let systems: fs.Dirent[];
  try {
    systems = fs.readdirSync(eventsDir, { withFileTypes: true });
  } catch (e) {
    problems.push(`${eventsDir}: ${describeFsError(e)}`);
    return out;
  }
  for (const sys of systems) {
    if (!sys.isDirectory()) continue;
    const sysDir = path.join(eventsDir, sys.name);
    let events: fs.Dirent[];
    try {
      events = fs.readdirSync(sysDir, { withFileTypes: true });
    } catch (e) {
      problems.push(`${sysDir}: ${describeFsError(e)}`);
      continue;
    }
    const names: string[] = [];
    for (const ev of events) if (ev.isDirectory()) names.push(ev.name);
    out.set(sys.name, names);
  }
  return out;
}

/** Read and parse `events/<system>/<event>/format`; a read or parse failure is a problem, not a throw. */
export function readEventFormat(eventsDir: string, system: string, event: string, problems: string[]): EventFormat | undefined {
  const file = path.join(eventsDir, system, event, 'format');
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    problems.push(`event format file unreadable: ${file}: ${describeFsError(e)}`);
    return undefined;
  }
  try {
    return parseEventFormat(text, file);
  } catch (e) {
    problems.push(e instanceof Error ? e.message : String(e));
    return undefined;
  }
}

/** Whether a file can be opened for reading, without reading it (a few MB for
 *  available_filter_functions): undefined when it can, else the problem sentence readTracefs gives. */
export function probeReadable(file: string, consequence: string): string | undefined {
  try {
    fs.closeSync(fs.openSync(file, 'r'));
    return undefined;
  } catch (e) {
    return `${file}: ${describeFsError(e)}; ${consequence}`;
  }
}

export const FILTER_FUNCTIONS_UNKNOWN = 'ftrace-able functions unknown';
export const BLACKLIST_UNKNOWN = 'kprobe blacklist unknown (debugfs not mounted, or a kernel without CONFIG_KPROBES)';
