/**
 * Virtual HID devices through /dev/uhid (include/uapi/linux/uhid.h), for the HID-BPF tests:
 * no hardware needed. Events are packed `struct uhid_event` records written to the device.
 */
import { closeSync, existsSync, openSync, readFileSync, readSync, readdirSync, writeSync, constants } from 'node:fs';
import { pollUntil } from './families';

const UHID_DESTROY = 1;
const UHID_CREATE2 = 11;
const UHID_INPUT2 = 12;
/** sizeof(struct uhid_event): u32 type + the largest request (uhid_create2_req). */
const EVENT_SIZE = 4 + 128 + 64 + 64 + 2 + 2 + 4 * 4 + 4096;
export const BUS_USB = 0x03;

/** A boot-protocol-like mouse: 3 buttons, 5 bits padding, X, Y, wheel (relative, 8 bits). */
export const MOUSE_DESCRIPTOR = Buffer.from([
  0x05, 0x01, 0x09, 0x02, 0xa1, 0x01, 0x09, 0x01, 0xa1, 0x00, 0x05, 0x09, 0x19, 0x01, 0x29, 0x03,
  0x15, 0x00, 0x25, 0x01, 0x95, 0x03, 0x75, 0x01, 0x81, 0x02, 0x95, 0x01, 0x75, 0x05, 0x81, 0x01,
  0x05, 0x01, 0x09, 0x30, 0x09, 0x31, 0x09, 0x38, 0x15, 0x81, 0x25, 0x7f, 0x75, 0x08, 0x95, 0x03,
  0x81, 0x06, 0xc0, 0xc0,
]);

export interface UhidDevice {
  /** sysfs name, `BBBB:VVVV:PPPP.NNNN`. */
  sysName: string;
  /** NNNN: the HID id (hid_bpf_ops.hid_id). */
  hidId: number;
  input(report: Buffer): void;
  destroy(): void;
}

const sysDevices = '/sys/bus/hid/devices';

/** Creates a device (UHID_CREATE2) and waits (bounded) until it shows up in sysfs. */
export async function createUhidDevice(name: string, vendor: number, product: number, descriptor: Buffer): Promise<UhidDevice> {
  const fd = openSync('/dev/uhid', constants.O_RDWR);
  const ev = Buffer.alloc(EVENT_SIZE);
  ev.writeUInt32LE(UHID_CREATE2, 0);
  ev.write(name, 4, 127, 'latin1');
  let o = 4 + 128 + 64 + 64;
  ev.writeUInt16LE(descriptor.length, o); o += 2;
  ev.writeUInt16LE(BUS_USB, o); o += 2;
  ev.writeUInt32LE(vendor, o); o += 4;
  ev.writeUInt32LE(product, o); o += 4;
  ev.writeUInt32LE(1, o); o += 4; // version
  ev.writeUInt32LE(0, o); o += 4; // country
  descriptor.copy(ev, o);
  writeSync(fd, ev);
  const prefix = `${BUS_USB.toString(16).padStart(4, '0')}:${vendor.toString(16).padStart(4, '0')}:${product.toString(16).padStart(4, '0')}.`.toUpperCase();
  const find = (): string | undefined => readdirSync(sysDevices).find((d) => d.toUpperCase().startsWith(prefix));
  const sysName = await pollUntil(find, (d) => d !== undefined, 200, 50);
  if (!sysName) {
    closeSync(fd);
    throw new Error(`uhid device ${prefix}* did not appear in ${sysDevices}`);
  }
  let open = true;
  return {
    sysName,
    hidId: Number.parseInt(sysName.slice(prefix.length), 16),
    input(report: Buffer): void {
      const e = Buffer.alloc(EVENT_SIZE);
      e.writeUInt32LE(UHID_INPUT2, 0);
      e.writeUInt16LE(report.length, 4);
      report.copy(e, 6);
      writeSync(fd, e);
    },
    destroy(): void {
      if (!open) return;
      open = false;
      const e = Buffer.alloc(EVENT_SIZE);
      e.writeUInt32LE(UHID_DESTROY, 0);
      try { writeSync(fd, e); } finally { closeSync(fd); }
    },
  };
}

/** The device's report descriptor as the kernel parsed it (after any rdesc fix-up). */
export function reportDescriptor(sysName: string): Buffer {
  return readFileSync(`${sysDevices}/${sysName}/report_descriptor`);
}

/** /dev/hidrawN of the device, waiting (bounded) for it after a (re)probe. */
export async function hidrawOf(sysName: string): Promise<string | undefined> {
  const dir = `${sysDevices}/${sysName}/hidraw`;
  const find = (): string | undefined => (existsSync(dir) ? readdirSync(dir).find((n) => n.startsWith('hidraw')) : undefined);
  const n = await pollUntil(find, (x) => x !== undefined && existsSync(`/dev/${x}`), 200, 50);
  return n ? `/dev/${n}` : undefined;
}

/** Opens a hidraw node non-blocking (reads never hang the test). */
export function openHidraw(path: string): number {
  return openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
}

/** Reads one report from a non-blocking hidraw fd, retrying EAGAIN a bounded number of times. */
export async function readReport(fd: number, size = 64): Promise<Buffer | undefined> {
  const buf = Buffer.alloc(size);
  for (let i = 0; i < 200; i++) {
    try {
      const n = readSync(fd, buf, 0, size, null);
      return buf.subarray(0, n);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') throw err;
      await new Promise((r) => setTimeout(r, 25));
    }
  }
  return undefined;
}
