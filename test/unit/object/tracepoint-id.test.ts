/**
 * The tracefs half of tracepoint attach (no kernel): the id is read from the first mounted
 * tracefs (events/ present), a missing tracefs or tracepoint is an ENOENT naming the
 * program and saying what to do, and the section target cannot escape events/.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tracepointId, TRACEFS_ROOTS } from '../../../lib/object/tracepoint';

let dir: string;
beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 's10tp-')); });
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function tracefs(name: string, events: Record<string, string>): string {
  const root = join(dir, name);
  mkdirSync(join(root, 'events'), { recursive: true });
  for (const [tp, id] of Object.entries(events)) {
    mkdirSync(join(root, 'events', tp), { recursive: true });
    writeFileSync(join(root, 'events', tp, 'id'), id);
  }
  return root;
}

test('the kernel\'s own mount point comes first, the debugfs one after it', () => {
  expect(TRACEFS_ROOTS).toEqual(['/sys/kernel/tracing', '/sys/kernel/debug/tracing']);
});

test('the id comes from events/CATEGORY/NAME/id of the first root with events/', () => {
  const first = join(dir, 'unmounted'); // an empty mount point, as before `mount -t tracefs`
  mkdirSync(first);
  const second = tracefs('debug', { 'syscalls/sys_enter_getppid': '412\n' });
  expect(tracepointId('syscalls/sys_enter_getppid', 'p', [first, second])).toBe(412);
  const both = tracefs('own', { 'syscalls/sys_enter_getppid': '7\n' });
  expect(tracepointId('syscalls/sys_enter_getppid', 'p', [both, second])).toBe(7);
});

test('no tracefs mounted: ENOENT naming the program and tracepoint, with the mount command', () => {
  expect(() => tracepointId('syscalls/sys_enter_getppid', 's10tp_prog', [join(dir, 'a'), join(dir, 'b')])).toThrow(expect.objectContaining({
    code: 'ENOENT', program: 's10tp_prog',
    message: expect.stringMatching(/syscalls\/sys_enter_getppid.*tracefs is not mounted/),
    hint: expect.stringContaining('mount -t tracefs nodev /sys/kernel/tracing'),
  }));
});

test('a tracepoint the kernel lacks: ENOENT naming the program and the tracepoint', () => {
  const root = tracefs('own', { 'syscalls/sys_enter_getppid': '412\n' });
  expect(() => tracepointId('syscalls/sys_enter_nope', 's10tp_prog', [root])).toThrow(expect.objectContaining({
    code: 'ENOENT', program: 's10tp_prog', message: expect.stringContaining('no tracepoint syscalls/sys_enter_nope'),
  }));
});

test('a target that is not CATEGORY/NAME (or walks out of events/) is EINVAL before any file is read', () => {
  const root = tracefs('own', { 'a/b': '1\n' });
  writeFileSync(join(root, 'id'), '5\n'); // what `../..`-style targets would reach
  for (const bad of ['', 'sys_enter_getppid', 'a/b/c', '../x', 'a/..', './b', 'a/']) {
    expect(() => tracepointId(bad, 's10tp_prog', [root])).toThrow(expect.objectContaining({ code: 'EINVAL', program: 's10tp_prog' }));
  }
});

test('an id file that holds no number is EINVAL', () => {
  const root = tracefs('own', { 'a/b': 'x\n', 'a/c': '-3\n' });
  for (const tp of ['a/b', 'a/c']) {
    expect(() => tracepointId(tp, 'p', [root])).toThrow(expect.objectContaining({ code: 'EINVAL' }));
  }
});
