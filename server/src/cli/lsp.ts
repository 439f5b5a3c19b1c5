// `bpf-atlas lsp --stdio`: runs the language server over stdin/stdout, for editors other than
// VS Code (Neovim, Emacs, Helix: see docs/editor.md). `--node-ipc` and `--socket=<port>` work too.

import { serve } from '../serve';

export interface LspIo {
  stdin?: NodeJS.ReadableStream;
  stdout?: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

export const LSP_USAGE = `usage: bpf-atlas lsp --stdio | --node-ipc | --socket=<port>

Runs the bpf-atlas language server. Editors start it themselves; see docs/editor.md.
`;

/** Returns the exit code once the client has closed the connection. */
export async function run(argv: readonly string[], io: LspIo): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    (io.stdout ?? process.stdout).write(LSP_USAGE);
    return 0;
  }
  const transport = argv.filter((a) => a === '--stdio' || a === '--node-ipc' || a.startsWith('--socket=') || a.startsWith('--pipe='));
  const unknown = argv.filter((a) => !transport.includes(a) && !a.startsWith('--clientProcessId'));
  if (transport.length !== 1 || unknown.length) {
    io.stderr.write(`bpf-atlas lsp: ${unknown.length ? `unknown option ${unknown[0]}` : 'choose one transport'}\n${LSP_USAGE}`);
    return 2;
  }
  try {
    const broken = await serve({ argv: transport, stdin: io.stdin, stdout: io.stdout });
    return broken ? 1 : 0;
  } catch (e) {
    io.stderr.write(`bpf-atlas lsp: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
}
