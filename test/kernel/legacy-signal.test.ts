import { availableCongestionControls } from '../../lib/demo';
import { structOpsShow } from '../helpers/bpftool';
import { eventually, startChild } from '../helpers/child';
import { unregisterLeftovers } from '../helpers/cleanup';
import { fixture } from '../helpers/fixtures';
import { describeKernel } from '../helpers/kernel';

// A child registers swap_legacy (a legacy map) as so9_sig_legacy without persist, optionally
// with its own handler for the signal, reports, and waits to be signalled.
const REGISTER = `
(async () => {
  const obj = await so.openObject(process.argv[1]);
  obj.structOps.get('swap_legacy').value.name = 'so9_sig_legacy';
  // Only the legacy map: the object's link map (swap_a) is not what this test is about, and
  // a kernel without struct_ops links (6.1) would refuse it.
  for (const m of obj.structOps.values()) if (m.name !== 'swap_legacy') m.autocreate = false;
  await obj.load();
  await obj.structOps.get('swap_legacy').attach();
  if (process.argv[2] === 'handled') {
    process.on(process.argv[3], () => send('handled'));
    process.on('SIGUSR2', () => process.exit(7));
  }
  send('registered', obj.structOps.get('swap_legacy').id);
  setInterval(() => undefined, 1000);
})().catch(fail);
`;
const NAME = 'so9_sig_legacy';

describeKernel('legacy registrations and SIGINT/SIGTERM', () => {
  afterEach(() => {
    unregisterLeftovers(['swap_']);
  });

  test.each(['SIGINT', 'SIGTERM'] as const)('%s with no handler of the application: unregistered, then the signal kills', async (signal) => {
    const child = startChild(REGISTER, [fixture('swap_a'), 'plain', signal]);
    const id = await child.waitFor<number>('registered');
    expect(availableCongestionControls()).toContain(NAME);
    child.proc.kill(signal);
    expect(await child.exited).toEqual({ code: null, signal });
    // Undone by the process itself before dying: nothing else deletes a legacy registration.
    expect(availableCongestionControls()).not.toContain(NAME);
    expect(await eventually(() => !structOpsShow().some((s) => s.id === id))).toBe(true);
  });

  test('an application that handles the signal keeps control; the exit hook undoes it when it exits', async () => {
    const child = startChild(REGISTER, [fixture('swap_a'), 'handled', 'SIGTERM']);
    await child.waitFor('registered');
    child.proc.kill('SIGTERM');
    await child.waitFor('handled');
    // The application decided not to die yet: still registered.
    expect(availableCongestionControls()).toContain(NAME);
    child.proc.kill('SIGUSR2');
    expect(await child.exited).toEqual({ code: 7, signal: null });
    expect(availableCongestionControls()).not.toContain(NAME);
  });
});
