// Watches the running kernel while the server runs: a module loaded or removed changes what `live`
// holds, so now and then (one directory listing, services.liveKernelChanged) it asks whether the
// module set changed and, when it did and `live` is a target, has the settings applied again
// (which re-reads the running kernel). A collaborator of server.ts.

export interface LiveWatcherHooks {
  /** True when the running kernel's modules changed since the last call. */
  changed(): boolean;
  /** Whether `live` is in use now (the check is skipped otherwise). */
  inUse(): boolean;
  /** Re-read the running kernel (apply the settings again). */
  reload(why: string): void;
}

export class LiveWatcher {
  private timer?: NodeJS.Timeout;

  constructor(private readonly hooks: LiveWatcherHooks, private readonly intervalMs: number) {}

  /** Starts watching (once): the first call records the current module set. */
  start(): void {
    if (this.timer) return;
    this.hooks.changed();
    this.timer = setInterval(() => {
      if (this.hooks.inUse() && this.hooks.changed()) this.hooks.reload('the running kernel changed (a module was loaded or removed)');
    }, this.intervalMs);
    this.timer.unref();
  }
}
