// Reading /proc/kallsyms off the main thread. The file is a seq_file: the kernel formats about
// 4 KB per read() call, so 120k symbols take some 1,300 calls and 25-35 ms of kernel time during
// which a synchronous reader can do nothing else. A worker thread reads it instead and hands over
// line-aligned chunks as it goes (transferred, not copied), so the caller parses the kernel BTF
// meanwhile and scans each chunk as it arrives. The worker's code is a self-contained string
// (only fs and worker_threads), so the bundles need no extra file. The result can be awaited, or
// waited for synchronously (Atomics.wait + receiveMessageOnPort: the CLI and tests keep a sync
// open). When the worker cannot start, dies, or sends nothing for a while, the file is read
// synchronously instead; read errors are the fs errors a synchronous read would have thrown.

import fs from 'node:fs';
import type { MessagePort, Worker } from 'node:worker_threads';
import { KallsymsIndex, KallsymsScanner, scanKallsyms } from './procKallsyms';
import type { NameTable } from './nameTable';

/** node:worker_threads, loaded when kallsyms is read: a lookup answered from the cached live
 *  atlas does not pay for loading it (~1 ms). */
function threads(): typeof import('node:worker_threads') {
  return require('node:worker_threads') as typeof import('node:worker_threads');
}

const WORKER_SOURCE = `'use strict';
const fs = require('fs');
const { workerData } = require('worker_threads');
const { file, port, signal, chunkBytes } = workerData;
const posted = new Int32Array(signal);
function post(message, transfer) {
  port.postMessage(message, transfer);
  Atomics.add(posted, 0, 1);
  Atomics.notify(posted, 0);
}
try {
  const fd = fs.openSync(file, 'r');
  try {
    let buf = new Uint8Array(chunkBytes);
    let used = 0;
    for (;;) {
      if (buf.length - used < 16384) {
        const cut = buf.lastIndexOf(10, used - 1) + 1;
        const next = new Uint8Array(cut > 0 ? chunkBytes + used - cut : buf.length * 2);
        next.set(buf.subarray(cut, used));
        if (cut > 0) post({ chunk: buf.buffer, length: cut }, [buf.buffer]);
        used -= cut;
        buf = next;
      }
      const n = fs.readSync(fd, buf, used, buf.length - used, null);
      if (n === 0) break;
      used += n;
    }
    post({ chunk: buf.buffer, length: used, done: true }, [buf.buffer]);
  } finally {
    fs.closeSync(fd);
  }
} catch (e) {
  post({ error: { code: e && e.code, message: String((e && e.message) || e) } });
}
`;

export interface KallsymsReadOptions {
  /** Read on a worker thread (default true); false reads synchronously when asked. */
  worker?: boolean;
  /** Code for the worker instead of the built-in reader (tests of the fallback). */
  workerSource?: string;
  /** A worker that sends nothing for this long (ms) is given up for a synchronous read. */
  stallMs?: number;
  /** Bytes per chunk handed over (default 256 KB). */
  chunkBytes?: number;
}

interface ChunkMessage {
  chunk?: ArrayBuffer;
  length?: number;
  done?: boolean;
  error?: { code?: string; message: string };
}

type Outcome = { index: KallsymsIndex } | { error: unknown };

/**
 * A read of one kallsyms file, started at once (startKallsymsRead). indexSync() and index() give
 * the scanned KallsymsIndex, or throw what scanKallsyms(fs.readFileSync(file)) would throw.
 */
export class KallsymsRead {
  /** How the file was read in the end: on the worker, or synchronously. */
  via: 'worker' | 'sync' = 'worker';
  private readonly file: string;
  private readonly stallMs: number;
  private readonly scanner = new KallsymsScanner();
  private worker?: Worker;
  private port?: MessagePort;
  private posted?: Int32Array;
  private exited = false;
  private onExit?: () => void;
  private outcome?: Outcome;
  private known?: NameTable;
  private waiting?: Promise<void>;

  constructor(file: string, opts: KallsymsReadOptions = {}) {
    this.file = file;
    this.stallMs = opts.stallMs ?? 3000;
    if (opts.worker === false) return;
    try {
      const { port1, port2 } = new (threads().MessageChannel)();
      const signal = new SharedArrayBuffer(4);
      const worker = new (threads().Worker)(opts.workerSource ?? WORKER_SOURCE, {
        eval: true,
        workerData: { file, port: port2, signal, chunkBytes: opts.chunkBytes ?? 262144 },
        transferList: [port2],
      });
      worker.unref();
      // An error event without a listener would be thrown at the process; the exit that
      // follows it is what counts.
      worker.on('error', () => undefined);
      worker.on('exit', () => {
        this.exited = true;
        this.onExit?.();
      });
      this.worker = worker;
      this.port = port1;
      this.posted = new Int32Array(signal);
    } catch {
      this.worker = undefined;
    }
  }

  /** Names to look each symbol's base name up in as it is scanned (KallsymsIndex.isKnown). */
  setKnown(names: NameTable): void {
    this.known = names;
    this.scanner.setKnown(names);
  }

  /** Blocks until the file is read and scanned. */
  indexSync(): KallsymsIndex {
    if (!this.outcome) {
      if (this.worker && this.port && this.posted) this.waitSync(this.port, this.posted);
      else this.readSync();
    }
    return this.result();
  }

  /** Resolves when the file is read and scanned (the event loop runs meanwhile). */
  async index(): Promise<KallsymsIndex> {
    if (!this.outcome) {
      const port = this.port;
      if (!this.worker || !port) this.readSync();
      else await (this.waiting ??= this.waitAsync(port));
    }
    return this.result();
  }

  /** Stops the worker (the caller no longer wants the symbols). */
  cancel(): void {
    this.stop();
    if (!this.outcome) this.outcome = { error: new Error('kallsyms read cancelled') };
  }

  private result(): KallsymsIndex {
    const o = this.outcome!;
    if ('error' in o) throw o.error;
    return o.index;
  }

  private waitSync(port: MessagePort, posted: Int32Array): void {
    let idle = 0;
    const { receiveMessageOnPort } = threads();
    while (!this.outcome) {
      const seen = Atomics.load(posted, 0);
      const m = receiveMessageOnPort(port);
      if (m) {
        idle = 0;
        this.take(m.message as ChunkMessage);
        continue;
      }
      if (this.exited || idle >= this.stallMs) {
        this.readSync();
        break;
      }
      const slice = Math.min(100, this.stallMs - idle);
      const t = Date.now();
      try {
        Atomics.wait(posted, 0, seen, slice);
      } catch {
        // A host that forbids blocking this thread: read here instead.
        this.readSync();
        break;
      }
      idle += Math.max(1, Date.now() - t);
    }
  }

  private waitAsync(port: MessagePort): Promise<void> {
    return new Promise<void>((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const { receiveMessageOnPort } = threads();
      const drain = () => {
        for (let m = receiveMessageOnPort(port); m && !this.outcome; m = this.outcome ? undefined : receiveMessageOnPort(port)) {
          this.take(m.message as ChunkMessage);
        }
      };
      const settle = () => {
        if (!this.outcome) this.readSync();
        if (timer) clearTimeout(timer);
        this.onExit = undefined;
        resolve();
      };
      drain();
      if (this.outcome || this.exited) return settle();
      timer = setTimeout(() => {
        drain();
        settle();
      }, this.stallMs);
      this.onExit = () => {
        drain();
        settle();
      };
      port.on('message', (m: ChunkMessage) => {
        if (this.outcome) return;
        timer?.refresh();
        this.take(m);
        if (this.outcome) settle();
      });
    });
  }

  private take(m: ChunkMessage): void {
    try {
      if (m.chunk) this.scanner.push(new Uint8Array(m.chunk, 0, m.length ?? m.chunk.byteLength));
      if (m.error) this.finish({ error: Object.assign(new Error(m.error.message), { code: m.error.code }) });
      else if (m.done) this.finish({ index: this.scanner.finish(this.file) });
    } catch (e) {
      this.finish({ error: e });
    }
  }

  /** The synchronous read: no worker, or a worker that failed. */
  private readSync(): void {
    this.stop();
    this.via = 'sync';
    try {
      this.outcome = { index: scanKallsyms(fs.readFileSync(this.file), this.file, this.known) };
    } catch (e) {
      this.outcome = { error: e };
    }
  }

  private finish(outcome: Outcome): void {
    this.outcome = outcome;
    this.stop();
  }

  private stop(): void {
    this.port?.close();
    this.port = undefined;
    if (this.worker && !this.exited) void this.worker.terminate();
    this.worker = undefined;
  }
}

/** Start reading `file` (a kallsyms text) now; ask for the index when it is needed. */
export function startKallsymsRead(file: string, opts?: KallsymsReadOptions): KallsymsRead {
  return new KallsymsRead(file, opts);
}
