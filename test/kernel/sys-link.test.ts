import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BpfAttachType,
  BpfLinkType,
  BpfProgType,
  Fd,
  linkCreate,
  linkDetach,
  linkGetFdById,
  linkGetInfo,
  linkGetNextId,
  linkUpdate,
  progGetInfo,
  progLoad,
} from '../../lib/sys';
import { describeKernel, openFdCount } from '../helpers/kernel';
import { catchBpf } from '../helpers/errors';

// r0 = 1 (let the packet through); exit. Harmless on any cgroup.
const allowInsns = Buffer.from('b7000000010000009500000000000000', 'hex');


describeKernel('lib/sys links (cgroup skb link as a stand-in target)', () => {
  let baseline = 0;
  let mountedAt: string | undefined;
  let cgroupDir = '';
  let cgroupFd = -1;
  const fds: Fd[] = [];

  beforeAll(() => {
    baseline = openFdCount();
    const line = readFileSync('/proc/self/mounts', 'utf8')
      .split('\n')
      .find((l) => l.split(' ')[2] === 'cgroup2');
    let root = line?.split(' ')[1];
    if (root === undefined) {
      mountedAt = mkdtempSync(join(tmpdir(), 'struct-ops-cg2-'));
      execFileSync('mount', ['-t', 'cgroup2', 'none', mountedAt]);
      root = mountedAt;
    }
    cgroupDir = join(root, `struct_ops_sys_test_${process.pid}`);
    mkdirSync(cgroupDir);
    cgroupFd = openSync(cgroupDir, 'r');
  });
  afterAll(() => {
    for (const fd of fds) fd.close();
    closeSync(cgroupFd);
    rmdirSync(cgroupDir);
    if (mountedAt !== undefined) {
      execFileSync('umount', [mountedAt]);
      rmdirSync(mountedAt);
    }
    expect(openFdCount()).toBe(baseline);
  });

  test('create, info, next id, fd by id, update (with and without replace), detach', () => {
    const load = (name: string): Fd => {
      const fd = progLoad({ progType: BpfProgType.CGROUP_SKB, insns: allowInsns, license: 'GPL', progName: name });
      fds.push(fd);
      return fd;
    };
    const a = load('sys_link_a');
    const b = load('sys_link_b');
    const idA = progGetInfo(a).id;
    const idB = progGetInfo(b).id;

    const link = linkCreate({ progFd: a, targetFd: cgroupFd, attachType: BpfAttachType.CGROUP_INET_INGRESS });
    fds.push(link);
    const info = linkGetInfo(link);
    expect(info).toEqual({ type: BpfLinkType.CGROUP, id: info.id, progId: idA });
    expect(info.id).toBeGreaterThan(0);

    const ids: number[] = [];
    for (let id = linkGetNextId(0); id !== null; id = linkGetNextId(id)) ids.push(id);
    expect(ids).toContain(info.id);
    const again = linkGetFdById(info.id);
    expect(linkGetInfo(again).progId).toBe(idA);
    again.close();

    linkUpdate(link, b);
    expect(linkGetInfo(link).progId).toBe(idB);
    // BPF_F_REPLACE with a stale old fd is refused by the kernel.
    expect(catchBpf(() => linkUpdate(link, a, { oldFd: a }))).toMatchObject({ code: 'EPERM', command: 'BPF_LINK_UPDATE' });
    linkUpdate(link, a, { oldFd: b });
    expect(linkGetInfo(link).progId).toBe(idA);

    linkDetach(link);
    expect(catchBpf(() => linkUpdate(link, b)).command).toBe('BPF_LINK_UPDATE');
  });

  test('linkCreate wants exactly one of progFd and mapFd', () => {
    const err = catchBpf(() => linkCreate({ progFd: 1, mapFd: 2, attachType: BpfAttachType.STRUCT_OPS }));
    expect(err).toMatchObject({ code: 'EINVAL', command: 'BPF_LINK_CREATE' });
    expect(catchBpf(() => linkCreate({ attachType: BpfAttachType.STRUCT_OPS })).code).toBe('EINVAL');
  });
});
