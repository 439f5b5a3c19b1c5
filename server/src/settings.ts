// One source of truth for the settings: keys, defaults, descriptions and validation. package.json
// `contributes.configuration`, docs/settings.md and the README table are kept in step with SETTINGS
// by test/unit/settings/drift.test.ts. Validation never throws: a wrong type or value is reported
// as a problem (the server shows each problem once) and replaced by the default.

import { HAZARD_DOCS, type HazardName } from './model/hazards';

export type SeverityOverride = 'error' | 'warning' | 'information' | 'hint' | 'off';

export interface Settings {
  /** Atlas kernel ids (or releases) programs must work on. Empty: the default (live when readable, else newest LTS bundled kernels). */
  targetKernels: string[];
  /** Index and offer the running kernel as `live`. */
  useLiveKernel: boolean;
  /** Extra atlas files built with `bpf-atlas index`. Ignored in untrusted workspaces. */
  atlasFiles: string[];
  hints: { preferTracepoints: boolean; preferFentry: boolean };
  /** Per-hazard severity overrides. */
  severity: Partial<Record<HazardName, SeverityOverride>>;
  trace: { server: 'off' | 'messages' | 'verbose' };
}

export const DEFAULT_SETTINGS: Settings = {
  targetKernels: [],
  useLiveKernel: true,
  atlasFiles: [],
  hints: { preferTracepoints: true, preferFentry: true },
  severity: {},
  trace: { server: 'off' },
};

/** The configuration section every key lives under (`bpfAtlas.targetKernels`). */
export const SETTINGS_SECTION = 'bpfAtlas';

export const SEVERITY_OVERRIDES: readonly SeverityOverride[] = ['error', 'warning', 'information', 'hint', 'off'];
export const HAZARD_NAMES = Object.keys(HAZARD_DOCS) as HazardName[];
const TRACE_LEVELS = ['off', 'messages', 'verbose'] as const;

type SettingKind =
  | { type: 'boolean' }
  | { type: 'string-array' }
  | { type: 'enum'; values: readonly string[] }
  | { type: 'severity-map' };

/** One setting: its key relative to SETTINGS_SECTION (dots become nesting in Settings), default,
 *  kind and the one-line description shown in the editor and the docs. */
export interface SettingSpec {
  key: string;
  kind: SettingKind;
  default: unknown;
  description: string;
  /** Points at files: a workspace value is ignored in untrusted workspaces. */
  restricted?: boolean;
  /** VS Code configuration scope; the server reads one window-wide value. */
  scope: 'window' | 'machine-overridable';
}

export const SETTINGS: readonly SettingSpec[] = [
  {
    key: 'targetKernels',
    kind: { type: 'string-array' },
    default: DEFAULT_SETTINGS.targetKernels,
    scope: 'window',
    description:
      'Kernels your programs must work on: atlas ids (`debian-12`, `live`), releases (`6.1`) or atlas file paths. Empty: the running kernel when readable, else the newest bundled LTS kernels.',
  },
  {
    key: 'useLiveKernel',
    kind: { type: 'boolean' },
    default: DEFAULT_SETTINGS.useLiveKernel,
    scope: 'window',
    description: 'Read the running kernel (/sys/kernel/btf/vmlinux, /proc/kallsyms, tracefs) and offer it as the `live` atlas.',
  },
  {
    key: 'atlasFiles',
    kind: { type: 'string-array' },
    default: DEFAULT_SETTINGS.atlasFiles,
    restricted: true,
    scope: 'machine-overridable',
    description: 'Extra atlas files built with `bpf-atlas index`. Read in trusted workspaces only.',
  },
  {
    key: 'hints.preferTracepoints',
    kind: { type: 'boolean' },
    default: DEFAULT_SETTINGS.hints.preferTracepoints,
    scope: 'window',
    description: 'Suggest a stable tracepoint when a kprobe/fentry target has one.',
  },
  {
    key: 'hints.preferFentry',
    kind: { type: 'boolean' },
    default: DEFAULT_SETTINGS.hints.preferFentry,
    scope: 'window',
    description: 'Suggest fentry/fexit instead of kprobe/kretprobe when every target kernel supports it.',
  },
  {
    key: 'severity',
    kind: { type: 'severity-map' },
    default: DEFAULT_SETTINGS.severity,
    scope: 'window',
    description: `Per-hazard severity overrides, e.g. \`{"partially-inlined": "hint"}\`. Hazards: ${HAZARD_NAMES.join(', ')}. Values: ${SEVERITY_OVERRIDES.join(', ')}.`,
  },
  {
    key: 'trace.server',
    kind: { type: 'enum', values: TRACE_LEVELS },
    default: DEFAULT_SETTINGS.trace.server,
    scope: 'window',
    description: 'Log the messages between VS Code and the language server to the output channel.',
  },
];

export interface ValidatedSettings {
  settings: Settings;
  /** One sentence per rejected value, naming the setting. Empty when all is well. */
  problems: string[];
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v);
  return `a ${typeof v}`;
}

function lookup(raw: Record<string, unknown>, key: string): unknown {
  // Accept both nesting (`{hints: {preferFentry}}`, what VS Code returns) and flat dotted keys
  // (`{"hints.preferFentry": …}`, what some clients send from their config files).
  if (key in raw) return raw[key];
  let cur: unknown = raw;
  for (const part of key.split('.')) {
    if (!isRecord(cur) || !(part in cur)) return undefined;
    cur = cur[part];
  }
  return cur;
}

function assign(target: Record<string, unknown>, key: string, value: unknown): void {
  const parts = key.split('.');
  let cur = target;
  for (const part of parts.slice(0, -1)) {
    if (!isRecord(cur[part])) cur[part] = {};
    cur = cur[part] as Record<string, unknown>;
  }
  cur[parts[parts.length - 1]] = value;
}

function clone<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}

/** Checks one value against its spec; returns the accepted value and any problems. */
function validateOne(spec: SettingSpec, value: unknown): { value: unknown; problems: string[] } {
  const name = `${SETTINGS_SECTION}.${spec.key}`;
  const fallback = () => clone(spec.default);
  switch (spec.kind.type) {
    case 'boolean':
      if (typeof value === 'boolean') return { value, problems: [] };
      return { value: fallback(), problems: [`${name} must be true or false, got ${describe(value)}; using ${JSON.stringify(spec.default)}.`] };
    case 'enum':
      if (typeof value === 'string' && spec.kind.values.includes(value)) return { value, problems: [] };
      return {
        value: fallback(),
        problems: [`${name} must be one of ${spec.kind.values.join(', ')}, got ${describe(value)}; using ${JSON.stringify(spec.default)}.`],
      };
    case 'string-array': {
      if (!Array.isArray(value)) {
        return { value: fallback(), problems: [`${name} must be a list of strings, got ${describe(value)}; using ${JSON.stringify(spec.default)}.`] };
      }
      const kept = value.filter((s): s is string => typeof s === 'string' && s.trim() !== '').map((s) => s.trim());
      const dropped = value.length - kept.length;
      return { value: kept, problems: dropped ? [`${name}: ignored ${dropped} entr${dropped === 1 ? 'y' : 'ies'} that are not non-empty strings.`] : [] };
    }
    case 'severity-map': {
      if (!isRecord(value)) {
        return { value: fallback(), problems: [`${name} must be an object mapping hazard names to severities, got ${describe(value)}; using {}.`] };
      }
      const out: Record<string, SeverityOverride> = {};
      const problems: string[] = [];
      for (const [hazard, sev] of Object.entries(value)) {
        if (!(HAZARD_NAMES as string[]).includes(hazard)) {
          problems.push(`${name}: unknown hazard ${JSON.stringify(hazard)} ignored (known: ${HAZARD_NAMES.join(', ')}).`);
        } else if (typeof sev !== 'string' || !(SEVERITY_OVERRIDES as readonly string[]).includes(sev)) {
          problems.push(`${name}.${hazard} must be one of ${SEVERITY_OVERRIDES.join(', ')}, got ${describe(sev)}; ignored.`);
        } else {
          out[hazard] = sev as SeverityOverride;
        }
      }
      return { value: out, problems };
    }
  }
}

/** Turns whatever a client sent (the `bpfAtlas` section, possibly null, partial or wrong) into
 *  complete Settings. Missing keys take their defaults silently; wrong ones are reported. */
export function validateSettings(raw: unknown): ValidatedSettings {
  const settings = clone(DEFAULT_SETTINGS) as unknown as Record<string, unknown>;
  const problems: string[] = [];
  if (raw !== undefined && raw !== null && !isRecord(raw)) {
    problems.push(`${SETTINGS_SECTION} settings must be an object, got ${describe(raw)}; using the defaults.`);
    return { settings: settings as unknown as Settings, problems };
  }
  const source = raw ?? {};
  for (const spec of SETTINGS) {
    const value = lookup(source, spec.key);
    if (value === undefined || value === null) continue;
    const checked = validateOne(spec, value);
    assign(settings, spec.key, checked.value);
    problems.push(...checked.problems);
  }
  return { settings: settings as unknown as Settings, problems };
}
