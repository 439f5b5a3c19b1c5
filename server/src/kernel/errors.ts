// The one error type kernel readers throw for bad or unreadable kernel data. It always names the
// file (or the in-memory source, e.g. "ext4.ko .BTF") so a user can tell which input was wrong,
// and it never wraps a bare RangeError from a typed-array read: readers check bounds first and
// say what was wrong in words.

export class KernelDataError extends Error {
  /** The file (or described source) that held the bad data. */
  readonly file: string;
  /** What was wrong, without the file name. */
  readonly detail: string;

  constructor(file: string, detail: string, options?: { cause?: unknown }) {
    super(`${file}: ${detail}`);
    this.name = 'KernelDataError';
    this.file = file;
    this.detail = detail;
    if (options && 'cause' in options) (this as { cause?: unknown }).cause = options.cause;
  }
}

/** True for errors a reader threw on purpose about bad data (as opposed to programming errors). */
export function isKernelDataError(e: unknown): e is KernelDataError {
  return e instanceof KernelDataError;
}

/** A short human reason for a failed file read: "permission denied", "not found", ... */
export function describeFsError(e: unknown): string {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ENOENT': return 'not found';
    case 'EACCES': return 'permission denied (needs root)';
    case 'EPERM': return 'operation not permitted (the kernel refuses it to this process, even to root under lockdown)';
    case 'EISDIR': return 'is a directory, expected a file';
    case 'ENOTDIR': return 'a parent path is not a directory';
    case 'EINVAL': return 'invalid argument while reading';
    default: return e instanceof Error ? e.message : String(e);
  }
}
