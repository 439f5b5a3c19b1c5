// Workspace trust for settings that point at files (bpfAtlas.atlasFiles): in an untrusted
// workspace only the user's own (global) value counts, never one a workspace or folder settings
// file supplies. VS Code already drops restricted workspace values for `restrictedConfigurations`
// in package.json; this is the extension's own check on what it forwards to the server, so that a
// client bug or an older VS Code cannot make the server open a file the workspace chose.
// Pure (no vscode import) so that unit tests can cover it.

/** The parts of `WorkspaceConfiguration.inspect()` that matter here. */
export interface InspectedValue<T> {
  defaultValue?: T;
  globalValue?: T;
  workspaceValue?: T;
  workspaceFolderValue?: T;
}

/** Keys (relative to the bpfAtlas section) whose values are file paths. */
export const FILE_SETTINGS = ['atlasFiles'] as const;

/** Returns the `bpfAtlas` section to send to the server: unchanged when trusted, else with every
 *  file setting replaced by the user-level value (or the default). */
export function restrictForTrust(
  section: Record<string, unknown> | null | undefined,
  trusted: boolean,
  inspect: (key: string) => InspectedValue<unknown> | undefined,
): Record<string, unknown> | null | undefined {
  if (trusted || section === null || typeof section !== 'object') return section;
  const out: Record<string, unknown> = { ...section };
  for (const key of FILE_SETTINGS) {
    const seen = inspect(key);
    out[key] = seen?.globalValue ?? seen?.defaultValue ?? [];
  }
  return out;
}
