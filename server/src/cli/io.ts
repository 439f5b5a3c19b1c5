// What a CLI verb writes to: the process streams, or a test's buffers.

export interface CliIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
}
