// docs/diagnostics.md is the target of every diagnostic's codeDescription link and of the SARIF
// rules' helpUri: it must have a section whose heading is each code, so `#<code>` resolves.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { codeDocsHref, diagnosticCodes, DIAGNOSTICS_DOCS_URL } from '../../../server/src/features/shared/diagnosticCodes';
import { repoRoot } from '../../repoRoot';


describe('docs/diagnostics.md', () => {
  const text = fs.readFileSync(path.join(repoRoot(), 'docs', 'diagnostics.md'), 'utf8');
  const headings = new Set([...text.matchAll(/^## (.+)$/gm)].map((m) => m[1].trim()));

  it('has one section per diagnostic code, headed by the code', () => {
    for (const c of diagnosticCodes()) assert.ok(headings.has(c.code), `missing section "## ${c.code}"`);
  });

  it('is what the links point at', () => {
    assert.ok(DIAGNOSTICS_DOCS_URL.endsWith('/docs/diagnostics.md'));
    assert.equal(codeDocsHref('renamed'), `${DIAGNOSTICS_DOCS_URL}#renamed`);
  });
});
