/**
 * A BpfObject owns the registrations its maps made (issue 12): a dropped link handle
 * survives garbage collection while the object is open, and the object's close() ends
 * what only it kept (a pinned link and a persistent legacy registration stay).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { BpfObject, openObject } from '../../lib';
import { availableCongestionControls } from '../../lib/demo';
import { assertDistBuilt, DIST, eventually } from '../helpers/child';
import { unregisterLeftovers } from '../helpers/cleanup';
import { fixture } from '../helpers/fixtures';
import { describeKernel } from '../helpers/kernel';
import { skipLinkMapsIfUnsupported, testWithLinks } from '../helpers/features';

const PIN = '/sys/fs/bpf/struct-ops-test-i12-owner';

/**
 * Child (node --expose-gc): attach MAPS without keeping the links, collect garbage hard,
 * print which algorithms are registered, close the object, print again.
 */
const CHILD = `
const so = require(${JSON.stringify(DIST)});
const { availableCongestionControls } = require(${JSON.stringify(`${DIST}/demo/index.js`)});
(async () => {
  const [file, ...maps] = process.argv.slice(1);
  const obj = await so.openObject(file);
  await obj.load();
  // Proof that collection and finalizers really ran: a dropped sentinel is finalized.
  let finalized = 0;
  const registry = new FinalizationRegistry(() => finalized++);
  registry.register({}, 'sentinel');
  for (const m of maps) await obj.structOps.get(m).attach();
  // Unreachable handles are collected and their finalizers run between turns.
  for (let i = 0; i < 5; i++) {
    global.gc();
    await new Promise((r) => setTimeout(r, 10));
  }
  const whileOpen = availableCongestionControls().filter((n) => n.startsWith('s12_own'));
  obj.close();
  const afterClose = availableCongestionControls().filter((n) => n.startsWith('s12_own'));
  console.log(JSON.stringify({ whileOpen, afterClose, gcRan: finalized === 1 }));
})().catch((e) => { console.error(e); process.exit(3); });`;

describeKernel('object ownership of registrations', () => {
  const objects: BpfObject[] = [];

  const open = async (): Promise<BpfObject> => {
    const obj = await openObject(fixture('s12_owner'));
    objects.push(obj);
    skipLinkMapsIfUnsupported(obj);
    await obj.load();
    return obj;
  };

  afterEach(() => {
    for (const o of objects.splice(0)) o.close();
    if (existsSync(PIN)) rmSync(PIN);
    unregisterLeftovers(['s12_']);
  });

  testWithLinks('a dropped link handle survives global.gc() while the object is open; close() ends it', () => {
    assertDistBuilt();
    const out = spawnSync(process.execPath, ['--expose-gc', '-e', CHILD, fixture('s12_owner'), 's12_link', 's12_legacy'], {
      encoding: 'utf8', timeout: 60_000,
    });
    expect(out.stderr).toBe('');
    expect(JSON.parse(out.stdout)).toEqual({ whileOpen: ['s12_own', 's12_own_legacy'], afterClose: [], gcRan: true });
    expect(availableCongestionControls().filter((n) => n.startsWith('s12_own'))).toEqual([]);
  });

  testWithLinks('close() ends the links it made, except a pinned one', async () => {
    const obj = await open();
    const link = await obj.structOps.get('s12_link')!.attach();
    link.pin(PIN);
    const legacy = await obj.structOps.get('s12_legacy')!.attach();
    expect(availableCongestionControls()).toEqual(expect.arrayContaining(['s12_own', 's12_own_legacy']));
    obj.close();
    expect(link.closed && legacy.closed).toBe(true);
    // The pin holds the link; the legacy registration was this object's alone.
    expect(availableCongestionControls()).toContain('s12_own');
    expect(availableCongestionControls()).not.toContain('s12_own_legacy');
    rmSync(PIN);
    // The last reference gone, the kernel frees the link off a workqueue: wait for that event.
    expect(await eventually(() => !availableCongestionControls().includes('s12_own'))).toBe(true);
  });

  test('a persistent legacy registration outlives close() of its object', async () => {
    const obj = await open();
    await obj.structOps.get('s12_legacy')!.attach({ persist: true });
    obj.close();
    expect(availableCongestionControls()).toContain('s12_own_legacy');
    expect(unregisterLeftovers(['s12_'])).toEqual(expect.arrayContaining(['s12_legacy']));
    expect(availableCongestionControls()).not.toContain('s12_own_legacy');
  });
});
