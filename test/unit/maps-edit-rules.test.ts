/**
 * Rules around maps that fire before any bpf() syscall (issue 14, rule deletion). Each
 * test names the rule it covers.
 *
 * - lib/demo/cwnd-feed.ts: the demo's cwnd feed refuses an object without its ring buffer
 *   map `cwnd_ring` (ENOENT naming the map) instead of failing on an undefined map.
 */
import { BpfError, openObject } from '../../lib';
import { CWND_RING, CwndFeed } from '../../lib/demo/cwnd-feed';
import { catchBpf } from '../helpers/errors';
import { DEMO_OBJECT, fixture } from '../helpers/fixtures';

describe('CwndFeed (lib/demo/cwnd-feed.ts)', () => {
  test('an object without the cwnd_ring ring buffer map: ENOENT naming the map, no reader', async () => {
    const obj = await openObject(fixture('reno'));
    try {
      expect(obj.maps.has(CWND_RING)).toBe(false);
      const e = catchBpf(() => new CwndFeed(obj));
      expect(e).toBeInstanceOf(BpfError);
      expect(e.code).toBe('ENOENT');
      expect(e.map).toBe('cwnd_ring');
      expect(e.message).toBe('the demo object has no ring buffer map cwnd_ring');
    } finally {
      obj.close();
    }
  });

  test('the demo object has cwnd_ring: the feed gets past that rule (and, not loaded, fails on the map fd instead)', async () => {
    const obj = await openObject(DEMO_OBJECT);
    try {
      expect(obj.maps.get(CWND_RING)?.typeName).toBe('RINGBUF');
      const e = catchBpf(() => new CwndFeed(obj));
      expect(e.code).toBe('EBADF');
      expect(e.map).toBe('cwnd_ring');
      expect(e.message).toBe('map cwnd_ring is not loaded');
    } finally {
      obj.close();
    }
  });
});
