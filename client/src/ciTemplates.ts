// Ready CI configurations that run `bpf-atlas check` on every push and keep its SARIF report: a
// GitHub Actions workflow (uploaded to code scanning, so findings show on pull requests) and a
// GitLab CI job (SARIF kept as an artifact, and converted by scripts/ci/sarif-to-codequality.mjs to
// a Code Quality report, which merge requests show; GitLab has no SARIF report type). The target kernels come from the
// user's settings. Pure (no vscode import): the walkthrough's docs/walkthrough/ci.md shows the
// default output and a test keeps the two in step; another test runs the commands.

export type CiSystem = 'github' | 'gitlab';

/** Where the configuration goes in the repository. */
export const CI_FILES: Record<CiSystem, string> = {
  github: '.github/workflows/bpf-atlas.yml',
  gitlab: '.gitlab-ci.yml',
};

export const BPF_ATLAS_REPO = 'https://github.com/bpf-atlas/bpf-atlas.git';

/**
 * The `--kernel` arguments for CI from the target kernels in use: bundled ids and atlas files
 * inside the repository (as relative paths) carry over; `live` (the CI runner's own kernel says
 * nothing about production) and files outside the repository do not. `relative` maps an absolute
 * path into the repository, or returns undefined when it is outside.
 */
export function ciKernels(targets: readonly string[], relative: (file: string) => string | undefined): { kernels: string[]; dropped: string[] } {
  const kernels: string[] = [];
  const dropped: string[] = [];
  for (const t of targets) {
    const isFile = /[/\\]/.test(t) || t.endsWith('.atlas');
    const arg = t === 'live' ? undefined : isFile ? relative(t) : t;
    if (arg === undefined) dropped.push(t);
    else if (!kernels.includes(arg)) kernels.push(arg);
  }
  return { kernels, dropped };
}

function shellWord(s: string): string {
  return /^[\w./@:+=-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The `check` arguments after the command: no live kernel, the kernels, SARIF, the whole tree. */
export function checkArgs(kernels: readonly string[]): string {
  return ['check', '--no-live', ...kernels.flatMap((k) => ['--kernel', shellWord(k)]), '--format', 'sarif', '.'].join(' ');
}

/** The configuration file text for `system`, checking against `kernels`. */
export function ciConfig(system: CiSystem, kernels: readonly string[]): string {
  const args = checkArgs(kernels);
  if (system === 'github') {
    return `# bpf-atlas: check the BPF programs of this repository against the target kernels on every push
# and pull request; findings show in the Security tab and on pull requests (code scanning).
name: bpf-atlas
on: [push, pull_request]
permissions:
  contents: read
  security-events: write
jobs:
  check:
    runs-on: ubuntu-latest
    env:
      BPF_ATLAS_REF: main   # pin a release tag or commit for reproducible results
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-node@v4
        with:
          node-version: 20
      - name: Install bpf-atlas
        run: |
          git clone --depth 1 --branch "$BPF_ATLAS_REF" ${BPF_ATLAS_REPO} "$RUNNER_TEMP/bpf-atlas"
          cd "$RUNNER_TEMP/bpf-atlas" && npm ci --no-audit --no-fund && npm run build
      - name: bpf-atlas check
        # Exit status 1 when a program cannot attach on a target kernel: the job fails, the
        # report is uploaded all the same.
        run: node "$RUNNER_TEMP/bpf-atlas/dist/cli.js" ${args} > bpf-atlas.sarif
      - uses: github/codeql-action/upload-sarif@v3
        if: \${{ !cancelled() }}
        with:
          sarif_file: bpf-atlas.sarif
          category: bpf-atlas
`;
  }
  return `# bpf-atlas: check the BPF programs of this repository against the target kernels in every
# pipeline. The SARIF report is kept as an artifact; the findings also go to a Code Quality report,
# which merge requests show (GitLab has no SARIF report type).
bpf-atlas:
  image: node:20
  variables:
    BPF_ATLAS_REF: main   # pin a release tag or commit for reproducible results
  before_script:
    - git clone --depth 1 --branch "$BPF_ATLAS_REF" ${BPF_ATLAS_REPO} /tmp/bpf-atlas
    - (cd /tmp/bpf-atlas && npm ci --no-audit --no-fund && npm run build)
  script:
    # Exit status 1 when a program cannot attach on a target kernel: the job fails, the reports
    # are kept all the same.
    - node /tmp/bpf-atlas/dist/cli.js ${args} > bpf-atlas.sarif || status=$?
    - node /tmp/bpf-atlas/scripts/ci/sarif-to-codequality.mjs < bpf-atlas.sarif > gl-code-quality-report.json
    - exit \${status:-0}
  artifacts:
    when: always
    paths:
      - bpf-atlas.sarif
    reports:
      codequality: gl-code-quality-report.json
`;
}
