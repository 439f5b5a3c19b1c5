// Reading C prototypes as DepSurf prints them (pahole BTF rendered as text) into Proto/Param with
// the `%` name convention. The inputs are prototypes copied from the DepSurf data set.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { markName, parseCProto } from '../../../server/src/atlas/cproto';
import { normalizeCType } from '../../../server/src/model/cTypes';
import { renderProto } from '../../../server/src/atlas/model';

describe('parseCProto', () => {
  it('reads ordinary prototypes and normalises pointer spacing', () => {
    const p = parseCProto('long int do_sys_open(int dfd, const char * filename, int flags, umode_t mode)', 'do_sys_open')!;
    assert.deepEqual(p, { ret: 'long int', params: [
      { name: 'dfd', type: 'int' }, { name: 'filename', type: 'const char *' }, { name: 'flags', type: 'int' }, { name: 'mode', type: 'umode_t' },
    ] });
    assert.equal(renderProto('finish_task_switch', parseCProto('struct rq * finish_task_switch(struct task_struct * prev)', 'finish_task_switch')!),
      'struct rq *finish_task_switch(struct task_struct *prev)');
    assert.deepEqual(parseCProto('void security_audit_rule_free(void * * lsmrule)', 'security_audit_rule_free')!.params, [{ name: 'lsmrule', type: 'void **' }]);
  });

  it('reads empty parameter lists as no parameters', () => {
    assert.deepEqual(parseCProto('int tcp4_proc_init()', 'tcp4_proc_init'), { ret: 'int', params: [] });
  });

  it('puts the name inside function-pointer and array types', () => {
    const p = parseCProto('int __acpi_dev_get_resources(struct acpi_device * adev, struct list_head * list, int (*)(struct acpi_resource *, void *) preproc, void * preproc_data, char * method)', '__acpi_dev_get_resources')!;
    assert.deepEqual(p.params[2], { name: 'preproc', type: 'int (*%)(struct acpi_resource *, void *)' });
    const q = parseCProto('void __bpf_trace_iocost_ioc_vrate_adj(void * __data, struct ioc * ioc, u64 new_vrate, u32[2] * missed_ppm, u32 rq_wait_pct)', '__bpf_trace_iocost_ioc_vrate_adj')!;
    assert.deepEqual(q.params[3], { name: 'missed_ppm', type: 'u32 (*%)[2]' });
    assert.equal(markName('char[16]'), 'char %[16]');
  });

  it('keeps unnamed parameters unnamed', () => {
    assert.deepEqual(parseCProto('void f(unsigned int, struct bar *)', 'f')!.params, [{ name: '', type: 'unsigned int' }, { name: '', type: 'struct bar *' }]);
  });

  it('says undefined for text that is not a prototype of that name', () => {
    assert.equal(parseCProto('int other(void)', 'f'), undefined);
    assert.equal(parseCProto('garbage', 'garbage'), undefined);
    assert.equal(normalizeCType('struct  request  * *'), 'struct request **');
  });
});
