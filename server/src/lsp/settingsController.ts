// The settings of a session and the atlas they select: pulled from the client (or as it pushed
// them), validated (problems shown once each), then the atlas configured for them. Changes apply
// one at a time, in order, so a slow read of the running kernel cannot let an older configuration
// overwrite a newer one. A collaborator of server.ts: it speaks to the client only through hooks.

import { DEFAULT_SETTINGS, type Settings, SETTINGS_SECTION, validateSettings } from '../settings';
import type { AtlasState, ServerServices, VersionedDocument } from './types';

export interface SettingsHooks {
  /** The bpfAtlas section from workspace/configuration; undefined when the client cannot answer
   *  that request (then the pushed settings count). */
  pull(): Promise<{ value: unknown } | undefined>;
  /** Logs a problem and shows it to the user (as `shown`). */
  warn(logged: string, shown: string): void;
  log(message: string): void;
  logError(message: string): void;
  /** The status (targets, busy) changed. */
  status(): void;
  /** A configuration was applied (the first one makes the server ready). */
  applied(): void;
}

function errorText(e: unknown): string {
  return e instanceof Error ? (e.stack ?? e.message) : String(e);
}

export class SettingsController {
  settings: Settings = DEFAULT_SETTINGS;
  problems: string[] = [];
  state?: AtlasState;
  /** A long step under way, for the status bar. */
  busy?: string;
  /** The workspace is trusted (atlas files named by its settings may be read). */
  trusted = true;
  /** Settings a client pushed (initializationOptions or didChangeConfiguration), for clients
   *  that cannot answer workspace/configuration. */
  pushed: unknown;
  private queue: Promise<void> = Promise.resolve();
  private readonly reported = new Set<string>();

  constructor(private readonly services: Pick<ServerServices<VersionedDocument>, 'configureAtlas' | 'warmUp'>, private readonly hooks: SettingsHooks) {}

  /** Starts reading what pushed settings will need (initialize), before they are applied. */
  warmUp(): void {
    if (this.pushed !== undefined) this.services.warmUp?.(validateSettings(this.pushed).settings, this.trusted);
  }

  /** Applies the current settings after the ones already queued. */
  apply(why: string): Promise<void> {
    this.queue = this.queue.then(() => this.applyNow(why), (e) => this.hooks.logError(errorText(e)));
    return this.queue;
  }

  private once(message: string): boolean {
    if (this.reported.has(message)) return false;
    this.reported.add(message);
    return true;
  }

  private async applyNow(why: string): Promise<void> {
    const pulled = await this.hooks.pull().catch((e) => {
      this.hooks.logError(`could not read the ${SETTINGS_SECTION} settings: ${errorText(e)}`);
      return undefined;
    });
    const validated = validateSettings(pulled ? pulled.value : this.pushed);
    this.settings = validated.settings;
    this.problems = validated.problems;
    for (const problem of validated.problems) if (this.once(problem)) this.hooks.warn(`settings: ${problem}`, problem);
    try {
      this.state = await this.services.configureAtlas(this.settings, this.trusted, (what) => {
        this.busy = what;
        this.hooks.status();
      });
    } catch (e) {
      this.hooks.logError(`atlas configuration failed: ${errorText(e)}`);
    }
    this.busy = undefined;
    for (const u of this.state?.unresolved ?? []) {
      const text = u.spec === 'live' ? `running kernel: ${u.reason}` : `target kernel ${JSON.stringify(u.spec)}: ${u.reason}`;
      // A kernel id or atlas file the user named and that cannot be used is shown, once per
      // problem; what the running kernel does not let a non-root reader see is only logged
      // (expected, and the status bar says what `live` covers).
      if (u.spec !== 'live' && this.once(text)) this.hooks.warn(text, text);
      else this.hooks.logError(text);
    }
    if (this.state?.error) this.hooks.logError(`atlas: ${this.state.error}`);
    this.hooks.log(`${why}: target kernels ${this.state?.targets.join(', ') || '(none)'}`);
    this.hooks.status();
    this.hooks.applied();
  }
}
