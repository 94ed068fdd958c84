/**
 * Rules of unregistering by id or pin that the running kernel is needed for (issue 14, rule
 * deletion): a struct_ops map that is loaded but not registered is no registration to end
 * (legacy: its element is not set; link-based: it has no link), and a pinned map that is no
 * struct_ops map is refused. Nothing here is ever registered: swap_a's maps are only
 * loaded (not attached), and the one pin (a plain array map, `rt3_rules_bss`) is removed after.
 */
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { BPFFS_ROOT, ensureBpffsDir, findRegistrations, openObject, type BpfObject } from '../../lib';
import { catchBpf } from '../helpers/errors';
import { fixture } from '../helpers/fixtures';
import { describeKernel } from '../helpers/kernel';
import { skipLinkMapsIfUnsupported, testWithLinks } from '../helpers/features';

const PIN_DIR = join(BPFFS_ROOT, 'rt3_rules');

describeKernel('unregister refuses what is not registered (swap_a fixture, loaded only)', () => {
  let obj: BpfObject;
  beforeAll(async () => {
    obj = await openObject(fixture('swap_a'));
    skipLinkMapsIfUnsupported(obj);
    await obj.load();
  });
  afterAll(() => {
    obj?.close();
    rmSync(PIN_DIR, { recursive: true, force: true });
  });

  test('a legacy map that was loaded but never registered: ENOENT "loaded but not registered", and it stays loaded', () => {
    const map = obj.structOps.get('swap_legacy')!;
    const [reg] = findRegistrations({ id: map.id });
    expect(reg.kind).toBe('legacy');
    const e = catchBpf(() => reg.unregister());
    expect(e.code).toBe('ENOENT');
    expect(e.message).toBe(`tcp_congestion_ops swap_legacy id ${map.id} is loaded but not registered`);
    expect(map.info().id).toBe(map.id);
  });

  testWithLinks('a link-based map without a link: ENOENT "has no link: it is not registered"', () => {
    const map = obj.structOps.get('swap_a')!;
    const [reg] = findRegistrations({ id: map.id });
    expect(reg.kind).toBe('link');
    const e = catchBpf(() => reg.unregister());
    expect(e.code).toBe('ENOENT');
    expect(e.message).toBe(`tcp_congestion_ops swap_a map id ${map.id} is link-based and has no link: it is not registered`);
  });

  test('a pin of a map that is no struct_ops map is EINVAL, and the pin stays', () => {
    // Mounts a bpffs first where there is none (mkdirSync(recursive) would loop in sysfs).
    ensureBpffsDir(PIN_DIR);
    const path = join(PIN_DIR, 'rt3_rules_bss');
    obj.maps.get('.bss')!.pin(path);
    const e = catchBpf(() => findRegistrations({ pin: path }));
    expect(e.code).toBe('EINVAL');
    expect(e.message).toBe(`${path} is a pinned map, not a struct_ops map`);
    expect(existsSync(path)).toBe(true);
  });
});
