// Alternatives are equivalents of the target, never another hook (analysis/alternatives.ts): on a
// kernel without kprobes (a sysRoot over this machine's real BTF whose configuration says
// `# CONFIG_KPROBES is not set`, its ftrace sites unreadable as for a normal user), a kprobe on
// vfs_read is answered with fentry on vfs_read first (its caveat naming the unreadable ftrace
// sites), then the read(2) entry tracepoint; never a return-side tracepoint, never an unrelated
// event. lsm/ is not offered where bpf is not an active LSM.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { describe, it } from 'node:test';
import { Atlas } from '../../../server/src/atlas/atlas';
import { AnalysisCache } from '../../../server/src/analysis/cache';
import { attachReport } from '../../../server/src/analysis/report';
import { loadKnowledge } from '../../../server/src/knowledge/load';
import { parseTarget } from '../../../server/src/model/targets';
import { repoRoot } from '../../repoRoot';
import { btfSkip, fakeSysRoot } from '../kernel/liveInputs';

const CONFIG = [
  'CONFIG_BPF_EVENTS=y', '# CONFIG_KPROBES is not set', 'CONFIG_FTRACE_SYSCALLS=y', 'CONFIG_DEBUG_INFO_BTF=y',
  'CONFIG_BPF_LSM=y', 'CONFIG_LSM="landlock,lockdown,yama,integrity,apparmor"', '',
].join('\n');

describe('alternatives are equivalents of the target', { skip: btfSkip }, () => {
  it('kprobe:vfs_read on a kernel without kprobes: fentry:vfs_read first, then sys_enter_read; nothing unrelated', async () => {
    const root = fakeSysRoot({ 'proc/sys/kernel/osrelease': '6.18.0-alt-test\n', 'proc/cmdline': 'quiet\n', 'proc/config.gz': zlib.gzipSync(CONFIG) });
    try {
      const atlas = new Atlas({ sysRoot: root, dataDir: path.join(repoRoot(), 'data') });
      await atlas.loadLive();
      const ctx = { atlas, targets: ['live'], knowledge: loadKnowledge(path.join(repoRoot(), 'data', 'knowledge')), cache: new AnalysisCache() };
      const report = attachReport(parseTarget('kprobe:vfs_read'), ctx);
      assert.equal(report.kernels[0].status, 'error');
      const alts = report.alternatives.map((a) => `${a.target.kind}:${a.target.system ? `${a.target.system}:` : ''}${a.target.name}`);
      assert.equal(alts[0], 'fentry:vfs_read', alts.join(', '));
      assert.match(report.alternatives[0].caveat ?? '', /ftrace site for vfs_read/);
      for (const a of alts) assert.match(a, /vfs_read|sys_enter_read/, `an equivalent of vfs_read: ${a}`);
      assert.ok(!alts.some((a) => /sys_exit_/.test(a)), 'no return-side tracepoint for an entry probe');

      // security_file_open: lsm/file_open would load but never run (bpf is not an active LSM).
      const sec = attachReport(parseTarget('kprobe:security_file_open'), ctx);
      assert.ok(!sec.alternatives.some((a) => a.target.kind === 'lsm'), sec.alternatives.map((a) => a.target.name).join(', '));
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});
