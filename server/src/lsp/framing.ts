// Limits on the message framing a client sends over stdio (issue 13), checked before
// vscode-jsonrpc's reader sees the bytes. The reader itself parses the headers and decodes the
// bodies; what it does not do is refuse a frame it can never finish: a Content-Length of
// 10^14 makes it buffer forever without a word, a negative one makes it cut the stream at a
// wrong place (the next header is then read as JSON), and a header without its blank line grows
// the buffer without end. This guard follows the frames (header block, then that many body
// bytes) and, at the first frame that breaks a limit, stops passing bytes on and names the
// problem, so the connection is closed with a reason instead of a server that waits forever.
// Headers the limits do not concern (a missing Content-Length, a line without a colon) are left
// to the reader, which reports them itself.

import { Transform } from 'node:stream';

/** The largest body the server accepts. A body is held whole and decoded into one string (V8
 *  strings stop near 2^29 characters); the soak layer's documents are 10 MB. */
export const MAX_MESSAGE_BYTES = 256 * 1024 * 1024;

/** The longest header block (real clients send one or two short lines). */
export const MAX_HEADER_BYTES = 64 * 1024;

const END = Buffer.from('\r\n\r\n');

/** The Content-Length value of a header block (lines end in CRLF), as sent, or undefined. */
function contentLength(header: string): string | undefined {
  for (const line of header.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0 && line.slice(0, colon).trim().toLowerCase() === 'content-length') return line.slice(colon + 1).trim();
  }
  return undefined;
}

/** Why a header block breaks the limits, or undefined. */
export function headerProblem(header: string): string | undefined {
  const value = contentLength(header);
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) return `Content-Length ${JSON.stringify(value)} is not a byte count`;
  const length = Number(value);
  if (length > MAX_MESSAGE_BYTES) return `Content-Length ${value} exceeds the largest message the server accepts (${MAX_MESSAGE_BYTES} bytes)`;
  return undefined;
}

/** A pass-through stream that follows the frames and calls `broken` once, with the reason, at
 *  the first frame over the limits (passing on only the frames before it). */
export function guardFraming(broken: (reason: string) => void): Transform {
  /** The start of a header block whose end has not come yet (at most MAX_HEADER_BYTES). */
  let held: Buffer | undefined;
  /** Body bytes still to come of the current frame. */
  let body = 0;
  let stopped = false;
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      if (stopped) return done();
      const fail = (before: number, reason: string) => {
        stopped = true;
        if (before > 0) this.push(chunk.subarray(0, before));
        broken(reason);
        done();
      };
      let at = 0;
      while (at < chunk.length) {
        if (body > 0) {
          const take = Math.min(body, chunk.length - at);
          body -= take;
          at += take;
          continue;
        }
        // A header block, maybe begun in an earlier chunk (its end may span the two).
        const begun = held?.length ?? 0;
        const text = held ? Buffer.concat([held, chunk.subarray(at, at + MAX_HEADER_BYTES + END.length)]) : chunk;
        const from = held ? 0 : at;
        const end = text.indexOf(END, held ? Math.max(0, begun - END.length + 1) : at);
        if (end < 0 || end - from > MAX_HEADER_BYTES) {
          const length = begun + chunk.length - at;
          if (end >= 0 || length > MAX_HEADER_BYTES) return fail(at, `a header block longer than ${MAX_HEADER_BYTES} bytes without its end`);
          held = held ? Buffer.concat([held, chunk.subarray(at)]) : Buffer.from(chunk.subarray(at));
          break;
        }
        const header = text.toString('ascii', from, end);
        const problem = headerProblem(header);
        if (problem) return fail(at, problem);
        body = Number(contentLength(header) ?? 0);
        at = held ? at + end + END.length - begun : end + END.length;
        held = undefined;
      }
      done(null, chunk);
    },
  });
}
