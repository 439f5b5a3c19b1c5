// One source of truth for the settings: keys, defaults, validation. package.json
// `contributes.configuration` and the README table are kept in step with SETTINGS by a test.
// (Owned by the server/extension work; this first version fixes the shape features rely on.)

import type { HazardName } from './atlas/model';

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
