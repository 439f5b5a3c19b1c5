// When diagnostics run: debounced per document, adapted to how long the document's runs take (at
// once after a pause, as the first keystroke of a burst), dropped when a newer version arrived
// (cooperative cancellation), and followed by further runs over the same version while a run
// stopped at its work budget (the features memoise what they analysed, so each run gets further):
// a stopped run's result is published as progress, never left as the version's last word unless
// the document is so big that the follow-ups run out. A collaborator of server.ts: it computes and
// hands the result to `publish`; only server.ts speaks to the client.

import type { Diagnostic } from 'vscode-languageserver';

/** Follow-up runs per document version after runs that stopped at their work budget: enough for
 *  a 0.6 MB file of 1,000 programs on 30 kernels (each run gets at least its minimum of attach
 *  points further), bounded so that a hostile multi-MB document does not keep a core busy for
 *  ever (its last result says where the analysis stopped). */
export const MAX_FOLLOW_UPS = 40;

/** A run this cheap is simply repeated after every edit (edits queued in the same tick still
 *  coalesce); costlier documents wait about as long as their runs take. */
const CHEAP_RUN_MS = 50;

/** Runs whose cost sets the debounce: the least of the last few, so that one slow run (a garbage
 *  collection, a busy machine, an edit that brought a new target) does not hold up the next
 *  edits as long as it took. */
const COSTS_KEPT = 3;

/** While the user types with suggestions (a completion was asked less than TYPING_WINDOW_MS
 *  before an edit that comes less than TYPING_WINDOW_MS after the previous edit), diagnostics
 *  wait this long for a quiet moment, as clangd's least debounce: the next keystroke's
 *  completion must not queue behind the previous keystroke's run. At typing speed (100–200 ms a
 *  character) the run still comes between keystrokes. */
export const TYPING_DEBOUNCE_MS = 50;

/** An opened document's first run waits this long. An editor sends its requests right after the
 *  didOpen (symbols, code lenses, a completion), and they must be answered before a first run
 *  that may take hundreds of ms; whenQuiet lets through what has been read, but a client
 *  preempted between its writes (a loaded machine: the hostile wildcard test failed in CI so)
 *  had its requests read after the run began. */
export const OPEN_DEBOUNCE_MS = 50;

/** How recent the last edit and the last completion must be for an edit to be one of a burst of
 *  typing (a newline or a space asks for no completion, but is typed in the same burst). */
export const TYPING_WINDOW_MS = 1000;

export interface SchedulerHooks {
  /** The stored document's version, or undefined when it is not open. */
  versionOf(uri: string): number | undefined;
  /** Runs the diagnostics of the current version; `isStale` turns true when a newer version
   *  arrives. Throws on a feature failure (logged, then published as empty). */
  run(uri: string, isStale: () => boolean): RunResult;
  publish(uri: string, version: number, diagnostics: Diagnostic[]): void;
  logError(message: string): void;
  /** False until the first settings are applied: runs wait (they are scheduled again then). */
  ready(): boolean;
  /** Requests and notifications handled so far (see whenQuiet); absent: runs do not wait. */
  messagesHandled?(): number;
}

export interface RunResult {
  diagnostics: Diagnostic[];
  /** The run stopped at its work budget: another run over the same version is due. */
  stoppedEarly: boolean;
}

export interface SchedulerOptions {
  /** Longest quiet time after an edit before a run (default 200 ms). */
  delayMs?: number;
}

export class DiagnosticsScheduler {
  private readonly pending = new Map<string, NodeJS.Timeout>();
  /** How long the last runs of each document took (empty after its first run, which does not count). */
  private readonly costsMs = new Map<string, number[]>();
  /** When each document was last edited (scheduled) or its last run ended. */
  private readonly lastActivity = new Map<string, number>();
  /** The version each document's last run was over. */
  private readonly lastRunVersion = new Map<string, number>();
  /** Follow-up runs already made for a document version. */
  private readonly followUps = new Map<string, { version: number; count: number }>();
  /** When a completion was last asked in each document that had been edited. */
  private readonly lastCompletion = new Map<string, number>();
  private readonly delayMs: number;

  constructor(private readonly hooks: SchedulerHooks, private readonly options: SchedulerOptions) {
    this.delayMs = options.delayMs ?? 200;
  }

  /** Debounce that adapts to the document: wait about as long as its runs take (the least of
   *  the last COSTS_KEPT, at most delayMs). A typical program (a few ms) updates on the next tick
   *  after each keystroke, while edits already queued in the same tick are coalesced; a huge file
   *  whose run takes hundreds of ms leaves the server that long to answer other requests between
   *  runs, except after a pause: then the edit runs at once. */
  schedule(uri: string, delayMs?: number): void {
    const old = this.pending.get(uri);
    if (old) clearTimeout(old);
    const costs = this.costsMs.get(uri);
    const cost = costs === undefined ? undefined : costs.length ? Math.min(...costs) : 0;
    // An edit after a pause at least as long as a run (no edit, no run meanwhile) is not one of a
    // burst of keystrokes: it runs at once rather than wait out the debounce.
    const now = Date.now();
    const paused = cost !== undefined && now - (this.lastActivity.get(uri) ?? -Infinity) >= cost;
    // The user is typing with suggestions: this edit's run would hold up the completion of the
    // next keystroke.
    const typing = now - (this.lastCompletion.get(uri) ?? -Infinity) < TYPING_WINDOW_MS && now - (this.lastEdit.get(uri) ?? -Infinity) < TYPING_WINDOW_MS;
    this.lastActivity.set(uri, now);
    if (delayMs === undefined) this.lastEdit.set(uri, now);
    const adapted = cost === undefined ? this.delayMs : cost <= CHEAP_RUN_MS || paused ? 0 : Math.min(this.delayMs, cost);
    const delay = delayMs ?? (typing ? Math.max(adapted, TYPING_DEBOUNCE_MS) : adapted);
    const generation = (this.generations.get(uri) ?? 0) + 1;
    this.generations.set(uri, generation);
    this.pending.set(uri, setTimeout(() => this.whenQuiet(() => {
      // Before the first settings are applied there is nothing to run on; applying them
      // schedules every open document again, after the requests that were waiting. A newer
      // scheduling of the document (a run waiting in whenQuiet meanwhile) drops this one.
      if (this.hooks.ready() && this.generations.get(uri) === generation) this.runNow(uri);
    }), delay));
  }

  /** A completion was asked in `uri`: its edits soon after are a burst of typing. */
  completionAsked(uri: string): void {
    if (this.lastEdit.has(uri)) this.lastCompletion.set(uri, Date.now());
  }

  /** When each document was last edited. */
  private readonly lastEdit = new Map<string, number>();

  /** The latest scheduling of each document. */
  private readonly generations = new Map<string, number>();

  /** Runs `run` once the messages already received are handled. vscode-jsonrpc hands messages to
   *  the handlers one per setImmediate, and a timer that is due runs before the next one: a run
   *  (hundreds of milliseconds on a huge file, or a kprobe:* over two kernels) would go ahead of
   *  the completion or hover sent with the same edit. Each hop lets the next message through,
   *  until a hop sees none handled. */
  private whenQuiet(run: () => void): void {
    const handled = this.hooks.messagesHandled;
    if (!handled) {
      run();
      return;
    }
    let seen = -1;
    const hop = () => {
      const now = handled();
      if (now === seen) {
        run();
        return;
      }
      seen = now;
      setImmediate(hop);
    };
    hop();
  }

  /** Forgets a closed document. */
  forget(uri: string): void {
    const timer = this.pending.get(uri);
    if (timer) clearTimeout(timer);
    this.pending.delete(uri);
    this.generations.delete(uri);
    this.costsMs.delete(uri);
    this.lastRunVersion.delete(uri);
    this.lastActivity.delete(uri);
    this.followUps.delete(uri);
    this.lastEdit.delete(uri);
    this.lastCompletion.delete(uri);
  }

  private runNow(uri: string): void {
    this.pending.delete(uri);
    const version = this.hooks.versionOf(uri);
    if (version === undefined) return;
    const stale = () => this.hooks.versionOf(uri) !== version;
    let result: RunResult = { diagnostics: [], stoppedEarly: false };
    // A document's first run opens its target kernels and works out every program with nothing
    // remembered: what it costs says little of what an edit's run will, so it does not set the
    // debounce (the first edit after opening a 50-program file over 30 kernels waited 200 ms).
    const costs = this.costsMs.get(uri);
    const started = Date.now();
    try {
      result = this.hooks.run(uri, stale);
    } catch (e) {
      this.hooks.logError(`diagnostics failed for ${uri}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    }
    const ended = Date.now();
    // Only the first run over a version sets the debounce: it is the run an edit waits for.
    // Further runs over the same version (follow-ups of a run stopped at its work budget, as the
    // open of a huge file makes, each hundreds of ms) continue work nobody typed: counted, they
    // held up the first edits after such an open by up to 200 ms each.
    const again = this.lastRunVersion.get(uri) === version;
    this.lastRunVersion.set(uri, version);
    if (!costs) this.costsMs.set(uri, []);
    else if (!again) this.costsMs.set(uri, [...costs, ended - started].slice(-COSTS_KEPT));
    this.lastActivity.set(uri, ended);
    if (stale()) return; // a newer version has its own run scheduled
    this.hooks.publish(uri, version, result.diagnostics);
    // A run that stopped at its work budget published progress: run again for the same version
    // rather than wait for the next edit. Bounded, so a file that is always cut short (a
    // hostile multi-MB document) is not re-run for ever.
    if (result.stoppedEarly) {
      const seen = this.followUps.get(uri);
      const count = seen?.version === version ? seen.count : 0;
      if (count < MAX_FOLLOW_UPS) {
        this.followUps.set(uri, { version, count: count + 1 });
        this.schedule(uri, 0);
      }
    }
  }
}
