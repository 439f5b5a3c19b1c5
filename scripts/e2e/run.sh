#!/bin/sh
# Runs every real-editor test: the extension tests in code-server's extension host (through
# @vscode/test-electron's runTests and a VS Code shim), the UI test of the packaged .vsix in the
# workbench (playwright-core + chromium; screenshots in test/e2e/artifacts/), and headless Neovim
# as a second LSP client. Installs the editors when missing, builds and packages first, runs the
# test files one after the other (each starts its own editor), and ends with `N passed, N failed`.
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
sh scripts/e2e/install-editors.sh
npm run --silent package >/dev/null
node node_modules/typescript/bin/tsc -p tsconfig.json
mkdir -p test/e2e/artifacts .tmp
log=.tmp/e2e-run.log
files=$(ls out/test/e2e/*.test.js)
status=0
node --test --test-concurrency=1 --test-reporter=tap $files 2>&1 | tee "$log" || status=$?
passed=$(sed -n 's/^# pass \([0-9]*\)$/\1/p' "$log" | tail -1)
failed=$(sed -n 's/^# fail \([0-9]*\)$/\1/p' "$log" | tail -1)
echo "e2e: ${passed:-0} passed, ${failed:-0} failed (screenshots in test/e2e/artifacts/)"
[ "$status" -eq 0 ] && [ "${failed:-1}" -eq 0 ] && [ "${passed:-0}" -gt 0 ]
