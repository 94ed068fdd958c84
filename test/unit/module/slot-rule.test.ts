/**
 * lib/object/load/prepare.ts: a struct_ops program is verified for one kernel member, so
 * one program bound to members of different kernel slots is refused (reuse of a program
 * for the same slot in two maps is libbpf's rule and stays allowed). Planned against the
 * fixture kernel (no syscall).
 */
import { openObject, type BpfObject } from '../../../lib';
import { fixture } from '../../helpers/fixtures';
import { fixtureKernel } from './fixture';

describe('one program for two kernel slots', () => {
  let obj: BpfObject;
  beforeEach(async () => {
    obj = await openObject(fixture('so_mod'));
  });
  afterEach(() => obj.close());

  test('the same program in the same slot of two maps plans (both maps use mod_init for init)', () => {
    const plan = obj.planLoad({ kernel: fixtureKernel() });
    expect(plan.programs.map((p) => p.name).sort()).toEqual(['mod_init', 'mod_run']);
  });

  test('mod_init also in the run slot is refused, naming program, map and member', () => {
    const legacy = obj.structOps.get('so_mod_legacy')!;
    (legacy.value as Record<string, unknown>).run = obj.programs.get('mod_init')!;
    let err: unknown;
    try {
      obj.planLoad({ kernel: fixtureKernel() });
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({
      code: 'EINVAL', program: 'mod_init', member: 'run',
      message: expect.stringMatching(/different kernel slots/),
    });
  });
});
