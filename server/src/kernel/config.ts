// A kernel's build configuration and active LSM list, turned into the capabilities that decide
// whether a kind of BPF program can work on it at all (kernel/facts.ts KernelCapabilities): a
// kernel built without CONFIG_KPROBES refuses every kprobe whatever the function, one without
// CONFIG_FTRACE_SYSCALLS has no syscalls:* events, BPF LSM programs need CONFIG_BPF_LSM and `bpf`
// in the active LSM list. It owns the `.config` text format (`CONFIG_X=y`, `# CONFIG_X is not
// set`) and where the running kernel exposes these (/proc/config.gz or /boot/config-<release>;
// /sys/kernel/security/lsm, else `lsm=` on /proc/cmdline, else CONFIG_LSM). Nothing here needs
// root; what cannot be read leaves a capability unknown (null), never false.

import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { describeFsError } from './errors';
import type { Capability, KernelCapabilities, Tri } from '../model/facts';

/** Options of one configuration, without the `CONFIG_` prefix: a value (`y`, `m`, a string with
 *  its quotes removed), or null for `# CONFIG_X is not set`. */
export type ConfigOptions = ReadonlyMap<string, string | null>;

export interface KernelConfig {
  options: ConfigOptions;
  /** Where it was read, for evidence: `/proc/config.gz`. */
  source: string;
  /** A whole `.config` (an option missing from it is not set: its dependencies are not met), or
   *  a selection of options (a missing one is unknown), as DepSurf's kernels.json has. */
  complete: boolean;
}

const SET = /^CONFIG_([A-Za-z0-9_]+)=(.*)$/;
const NOT_SET = /^# CONFIG_([A-Za-z0-9_]+) is not set$/;

/** Parse `.config` text. Lines of other shapes (comments, blank) are skipped. */
export function parseKernelConfig(text: string): Map<string, string | null> {
  const out = new Map<string, string | null>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    let m = SET.exec(line);
    if (m) {
      let v = m[2];
      if (v.length >= 2 && v.startsWith('"') && v.endsWith('"')) v = v.slice(1, -1).replace(/\\(["\\])/g, '$1');
      out.set(m[1], v);
      continue;
    }
    m = NOT_SET.exec(line);
    if (m) out.set(m[1], null);
  }
  return out;
}

/** The running kernel's configuration: /proc/config.gz (CONFIG_IKCONFIG_PROC), else
 *  /boot/config-<release>. Undefined, with the reasons added to `problems`, when neither reads. */
export function readRunningConfig(sysRoot: string, release: string | undefined, problems: string[]): KernelConfig | undefined {
  const tried: string[] = [];
  const proc = path.join(sysRoot, 'proc/config.gz');
  try {
    const text = zlib.gunzipSync(fs.readFileSync(proc)).toString('utf8');
    return { options: parseKernelConfig(text), source: '/proc/config.gz', complete: true };
  } catch (e) {
    tried.push(`${proc}: ${describeFsError(e)}`);
  }
  if (release && release !== 'unknown') {
    const boot = path.join(sysRoot, 'boot', `config-${release}`);
    try {
      const text = fs.readFileSync(boot, 'utf8');
      return { options: parseKernelConfig(text), source: `/boot/config-${release}`, complete: true };
    } catch (e) {
      tried.push(`${boot}: ${describeFsError(e)}`);
    }
  }
  problems.push(`the kernel configuration is not readable (${tried.join('; ')}); whether kprobes, kprobe.multi, syscall events and BPF LSM are built in is unknown`);
  return undefined;
}

/** The active LSMs of the running kernel: /sys/kernel/security/lsm when securityfs is mounted,
 *  else `lsm=` on the kernel command line, else the configured default CONFIG_LSM. */
export function readActiveLsms(sysRoot: string, config: KernelConfig | undefined): { list: string[]; source: string } | undefined {
  try {
    const text = fs.readFileSync(path.join(sysRoot, 'sys/kernel/security/lsm'), 'utf8').trim();
    if (text) return { list: text.split(','), source: '/sys/kernel/security/lsm' };
  } catch {
    /* securityfs not mounted or not readable: fall back to the boot settings */
  }
  let cmdline: string | undefined;
  try {
    cmdline = fs.readFileSync(path.join(sysRoot, 'proc/cmdline'), 'utf8');
  } catch {
    cmdline = undefined;
  }
  if (cmdline !== undefined) {
    // Everything after `--` goes to init, not to the kernel.
    const kernelPart = cmdline.split(/\s--(?:\s|$)/)[0];
    const m = /(?:^|\s)lsm=(\S*)/.exec(kernelPart);
    if (m) return { list: m[1].split(',').filter(Boolean), source: 'lsm= on /proc/cmdline' };
  }
  return configuredLsms(config, cmdline !== undefined ? ' (no lsm= on /proc/cmdline)' : '');
}

/** CONFIG_LSM, the LSM order a kernel boots with when its command line names none. */
export function configuredLsms(config: KernelConfig | undefined, note = ''): { list: string[]; source: string } | undefined {
  const v = config?.options.get('LSM');
  if (typeof v !== 'string') return undefined;
  return { list: v.split(',').map((s) => s.trim()).filter(Boolean), source: `CONFIG_LSM in ${config!.source}${note}` };
}

/** One option as a capability: set (y/m) → true, not set → false, unknown → null. */
function option(config: KernelConfig | undefined, name: string, unknownWhy: string): Capability {
  if (!config) return { value: null, evidence: unknownWhy };
  const v = config.options.get(name);
  if (v === undefined) {
    return config.complete
      ? { value: false, evidence: `CONFIG_${name} is not in ${config.source} (not available in this build)` }
      : { value: null, evidence: `${config.source} does not record CONFIG_${name}` };
  }
  if (v === null || v === 'n') return { value: false, evidence: `# CONFIG_${name} is not set in ${config.source}` };
  return { value: true, evidence: `CONFIG_${name}=${v} in ${config.source}` };
}

/** The capabilities a configuration and an active LSM list give. Without a configuration every
 *  capability is unknown, with `why` as the evidence. */
export function capabilitiesFromConfig(config: KernelConfig | undefined, lsms: { list: string[]; source: string } | undefined,
  why = 'the kernel configuration was not read'): KernelCapabilities {
  const built = option(config, 'BPF_LSM', why);
  let bpfLsm: Capability;
  if (built.value !== true) bpfLsm = built;
  else if (!lsms) bpfLsm = { value: null, evidence: `${built.evidence}, but the active LSM list is unknown` };
  else if (lsms.list.includes('bpf')) bpfLsm = { value: true, evidence: `${built.evidence} and bpf is in the active LSM list (${lsms.source})` };
  else bpfLsm = { value: false, evidence: `${built.evidence}, but bpf is not in the active LSM list ${lsms.list.join(',') || '(empty)'} (${lsms.source})` };
  const caps: KernelCapabilities = {
    kprobes: option(config, 'KPROBES', why),
    kprobeMulti: option(config, 'FPROBE', why),
    bpfEvents: option(config, 'BPF_EVENTS', why),
    ftraceSyscalls: option(config, 'FTRACE_SYSCALLS', why),
    debugInfoBtf: option(config, 'DEBUG_INFO_BTF', why),
    bpfLsmBuilt: built,
    bpfLsm,
  };
  if (config) caps.config = config.source;
  if (lsms) caps.lsms = lsms;
  return caps;
}

/** A capability's value, unknown (null) for kernels whose facts carry none. */
export function capabilityValue(caps: KernelCapabilities | undefined, name: keyof Omit<KernelCapabilities, 'config' | 'lsms'>): Tri {
  return caps?.[name]?.value ?? null;
}
