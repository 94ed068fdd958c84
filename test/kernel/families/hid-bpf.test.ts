/**
 * HID-BPF (hid_bpf_ops) with a fixture of our own (test/fixtures/bpf/families/hid_mouse.bpf.c)
 * on a virtual mouse made through /dev/uhid: hid_id set in the shadow value before load;
 * hid_device_event rewrites each input report (read back from /dev/hidrawN) and
 * hid_rdesc_fixup edits the report descriptor (read back from sysfs).
 */
import { closeSync } from 'node:fs';
import { BpfLink, BpfObject, dumpStructOps, openObject } from '../../../lib';
import type { StructOpsDataMember } from '../../../lib';
import { describeFamily, evidence, familyFixture, pollUntil } from '../../helpers/families';
import {
  MOUSE_DESCRIPTOR, UhidDevice, createUhidDevice, hidrawOf, openHidraw, readReport, reportDescriptor,
} from '../../helpers/uhid';

const VENDOR = 0x10b1;
const PRODUCT = 0x0b0b;
const WHEEL_USAGE_AT = 39; // MOUSE_DESCRIPTOR[38..39] = 09 38 (Usage Wheel)

describeFamily('hid_bpf_ops', 'HID-BPF: rewriting a virtual mouse', () => {
  const objects: BpfObject[] = [];
  const links: BpfLink[] = [];
  const devices: UhidDevice[] = [];
  const fds: number[] = [];
  afterEach(() => {
    for (const fd of fds.splice(0)) closeSync(fd);
    for (const l of links.splice(0)) l.close();
    for (const o of objects.splice(0)) o.close();
    for (const d of devices.splice(0)) d.destroy();
  });

  test('hid_id through the shadow value; events rewritten on /dev/hidrawN; descriptor fixed up in sysfs', async () => {
    const dev = await createUhidDevice('so10b virtual mouse', VENDOR, PRODUCT, MOUSE_DESCRIPTOR);
    devices.push(dev);
    expect(dev.hidId).toBeGreaterThan(0);
    expect(reportDescriptor(dev.sysName)).toEqual(MOUSE_DESCRIPTOR);

    // Without the fixture, reports arrive as sent.
    const plain = await hidrawOf(dev.sysName);
    expect(plain).toBeDefined();
    const fd0 = openHidraw(plain!);
    fds.push(fd0);
    dev.input(Buffer.from([0x00, 0x05, 0x07, 0x00]));
    expect(await readReport(fd0)).toEqual(Buffer.from([0x00, 0x05, 0x07, 0x00]));
    closeSync(fds.pop()!);

    const obj = await openObject(familyFixture('hid_mouse'));
    objects.push(obj);
    const ops = obj.structOps.get('so10b_hid')!;
    ops.value.hid_id = dev.hidId;
    await obj.load();
    const link = await ops.attach();
    links.push(link);
    expect((dumpStructOps(ops.id).members.find((m) => m.name === 'hid_id') as StructOpsDataMember).value).toBe(dev.hidId);

    // Registering a fixture with hid_rdesc_fixup reprobes the device: the descriptor changed.
    const fixed = Buffer.from(MOUSE_DESCRIPTOR);
    fixed[WHEEL_USAGE_AT] = 0x3a;
    expect(await pollUntil(() => reportDescriptor(dev.sysName), (d) => d.equals(fixed))).toEqual(fixed);
    const hidraw = await hidrawOf(dev.sysName);
    expect(hidraw).toBeDefined();
    expect(obj.readGlobals('.data')).toMatchObject({ wheel_at: WHEEL_USAGE_AT });
    expect(Number(obj.readGlobals('.bss').fixups)).toBeGreaterThanOrEqual(1);

    const fd = openHidraw(hidraw!);
    fds.push(fd);
    dev.input(Buffer.from([0x01, 0x05, 0x07, 0x02]));
    // X + 10, Y negated (two's complement), buttons and wheel untouched.
    const rewritten = await readReport(fd);
    expect(rewritten).toEqual(Buffer.from([0x01, 0x0f, 0xf9, 0x02]));
    evidence('hid_bpf_ops', `${dev.sysName} hid_id=${dev.hidId} ${hidraw}: sent 01 05 07 02, read ${rewritten!.toString('hex').replace(/(..)/g, '$1 ').trim()}; report_descriptor[${WHEEL_USAGE_AT}]=0x${reportDescriptor(dev.sysName)[WHEEL_USAGE_AT].toString(16)} (was 0x38)`);
    dev.input(Buffer.from([0x00, 0xf0, 0x00, 0x00]));
    expect(await readReport(fd)).toEqual(Buffer.from([0x00, 0xfa, 0x00, 0x00]));
    expect(Number(obj.readGlobals('.bss').events)).toBeGreaterThanOrEqual(2);

    // Detached: the device is reprobed with its own descriptor.
    closeSync(fds.pop()!);
    link.close();
    expect(await pollUntil(() => reportDescriptor(dev.sysName), (d) => d.equals(MOUSE_DESCRIPTOR))).toEqual(MOUSE_DESCRIPTOR);
  });
});
