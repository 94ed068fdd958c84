import { openObject } from '../../../lib';
import { applyRodata, applySet, candidates, splitAssignment } from '../../../lib/cli/run/edits';
import { fixture } from '../../helpers/fixtures';

describe('run --set / --rodata: command-line text through the typed shadow and globals API', () => {
  test('values are tried as integer, bool, float, then string', () => {
    expect(candidates('-5')).toEqual([-5n, -5, '-5']);
    expect(candidates('0x10')).toEqual([16n, '0x10']);
    expect(candidates('true')).toEqual([true, 'true']);
    expect(candidates('s15_x')).toEqual(['s15_x']);
  });

  test('NAME=VALUE is required', () => {
    expect(() => splitAssignment('set', 'noequals')).toThrow(/expected NAME=VALUE/);
    expect(() => splitAssignment('rodata', '=1')).toThrow(/expected NAME=VALUE/);
  });

  test('--set: strings, integers and programs land in the shadow value; the codec refuses what the type cannot hold', async () => {
    const obj = await openObject(fixture('run_cc'));
    applySet(obj, 's15_run_link.name=s15_other');
    expect(obj.structOps.get('s15_run_link')!.value.name).toBe('s15_other');
    applySet(obj, 's15_run_link.flags=1');
    expect(obj.structOps.get('s15_run_link')!.value.flags).toBe(1);
    applySet(obj, 's15_run_link.undo_cwnd=null');
    expect(obj.structOps.get('s15_run_link')!.value.undo_cwnd).toBeNull();
    applySet(obj, 's15_run_link.undo_cwnd=rc_undo_cwnd');
    expect(obj.structOps.get('s15_run_link')!.value.undo_cwnd).toBe(obj.programs.get('rc_undo_cwnd'));
    expect(() => applySet(obj, 's15_run_link.flags=-1')).toThrow(expect.objectContaining({ code: 'ERANGE' }));
    expect(() => applySet(obj, 's15_run_link.flags=abc')).toThrow(/takes an integer/);
    expect(() => applySet(obj, 's15_run_link.name=s15_much_too_long_name')).toThrow(/at most 15 bytes/);
    expect(() => applySet(obj, 's15_run_link.undo_cwnd=no_such_prog')).toThrow(expect.objectContaining({ code: 'EINVAL' }));
    expect(() => applySet(obj, 's15_run_link.nmae=x')).toThrow(expect.objectContaining({ code: 'ENOENT' }));
    expect(() => applySet(obj, 'nomap.name=x')).toThrow(/no struct_ops map named nomap/);
    expect(() => applySet(obj, 'noname=x')).toThrow(/expected MAP\.MEMBER=VALUE/);
    obj.close();
  });

  test('--rodata: a const volatile tunable, range-checked; unknown names refused', async () => {
    const obj = await openObject(fixture('run_cc'));
    applyRodata(obj, 'sample_every=3');
    expect(obj.readGlobals('.rodata')).toEqual({ sample_every: 3 });
    // an edit lives in the object, the spec keeps the file's value
    expect(obj.maps.get('.rodata')!.spec.initialData!.readUInt32LE(0)).toBe(8);
    expect(() => applyRodata(obj, 'sample_every=4294967296')).toThrow(expect.objectContaining({ code: 'ERANGE' }));
    expect(() => applyRodata(obj, 'sample_every=fast')).toThrow(/takes an integer/);
    expect(() => applyRodata(obj, 'generation=2')).toThrow(/no variable generation in \.rodata/);
    obj.close();
  });
});
