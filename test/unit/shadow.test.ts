import { inspect } from 'node:util';
import { openObject } from '../../lib';
import { fixture } from '../helpers/fixtures';
import { catchBpf as thrown } from '../helpers/errors';

const TCP_MEMBERS = [
  'ssthresh', 'cong_avoid', 'set_state', 'cwnd_event', 'in_ack_event', 'pkts_acked', 'min_tso_segs', 'cong_control',
  'undo_cwnd', 'sndbuf_expand', 'get_info', 'name', 'owner', 'list', 'key', 'flags', 'init', 'release',
];

describe('shadow value of a struct_ops map (reno)', () => {
  test('lists the struct members, reads them typed, and keeps one identity', async () => {
    const obj = await openObject(fixture('reno'));
    const map = obj.structOps.get('reno')!;
    const value = map.value;
    expect(map.value).toBe(value);
    expect(Object.keys(value)).toEqual(TCP_MEMBERS);
    expect(value.name).toBe('so_reno');
    expect(value.flags).toBe(0);
    expect(value.ssthresh).toBe(obj.programs.get('reno_ssthresh'));
    expect(value.cong_avoid).toBe(obj.programs.get('reno_cong_avoid'));
    expect(value.set_state).toBeNull();
    expect(value.list).toEqual(Buffer.alloc(16));
    expect(value.owner).toEqual(Buffer.alloc(8));
    expect('flags' in value).toBe(true);
    expect('flgs' in value).toBe(false);
    expect(Object.entries(value).length).toBe(TCP_MEMBERS.length);
    expect({ ...value }.name).toBe('so_reno');
    // Tools that probe objects (promises, Jest) see nothing, instead of an unknown-member error.
    await expect(Promise.resolve(value)).resolves.toBe(value);
  });

  test('writes land in the local image load() sends; the name keeps room for the NUL', async () => {
    const obj = await openObject(fixture('reno'));
    const map = obj.structOps.get('reno')!;
    const data = map.localData;
    map.value.name = 'so_reno2';
    map.value.flags = 1;
    expect(map.value.name).toBe('so_reno2');
    expect(map.value.flags).toBe(1);
    const nameOffset = 88;
    expect(data.subarray(nameOffset, nameOffset + 16)).toEqual(Buffer.from('so_reno2\0\0\0\0\0\0\0\0'));
    expect(data.readUInt32LE(132)).toBe(1);

    map.value.name = 'x'.repeat(15);
    expect(map.value.name).toBe('x'.repeat(15));
    map.value.name = 'ab';
    // The rest of the array is cleared, not left over from the longer name.
    expect(data.subarray(nameOffset, nameOffset + 16)).toEqual(Buffer.from('ab\0\0\0\0\0\0\0\0\0\0\0\0\0\0'));

    const long = thrown(() => { map.value.name = 'x'.repeat(16); });
    expect(long).toMatchObject({ code: 'ERANGE', map: 'reno', member: 'name' });
    expect(long.message).toMatch(/member name \(char \[16\]\) holds at most 15 bytes/);
    expect(map.value.name).toBe('ab');
    expect(thrown(() => { map.value.name = 7; })).toMatchObject({ code: 'EINVAL', member: 'name' });
    expect(thrown(() => { map.value.name = 'a\0b'; }).message).toMatch(/NUL/);
  });

  test('integer members are range-checked and name the allowed range', async () => {
    const obj = await openObject(fixture('reno'));
    const value = obj.structOps.get('reno')!.value;
    for (const bad of [-1, 2 ** 32, 4294967296n]) {
      const err = thrown(() => { value.flags = bad; });
      expect(err).toMatchObject({ code: 'ERANGE', member: 'flags' });
      expect(err.message).toContain('an integer in 0..4294967295');
    }
    expect(thrown(() => { value.flags = 1.5; })).toMatchObject({ code: 'EINVAL', member: 'flags' });
    expect(thrown(() => { value.flags = '1'; }).message).toMatch(/member flags \(u32\) takes an integer .* got the string "1"/);
    value.flags = 4294967295n;
    expect(value.flags).toBe(4294967295);
    value.key = 0;
  });

  test('an unknown member name throws, listing the members and the likely one', async () => {
    const obj = await openObject(fixture('reno'));
    const value = obj.structOps.get('reno')!.value;
    const read = thrown(() => value.flgs);
    expect(read).toMatchObject({ code: 'ENOENT', map: 'reno', member: 'flgs', hint: 'did you mean flags?' });
    expect(read.message).toContain(`members: ${TCP_MEMBERS.join(', ')}`);
    expect(thrown(() => { value.nmae = 'x'; })).toMatchObject({ code: 'ENOENT', member: 'nmae', hint: 'did you mean name?' });
    expect(thrown(() => { delete value.flags; })).toMatchObject({ code: 'EINVAL' });
  });

  test('other member kinds are read-only copies and say what they are', async () => {
    const obj = await openObject(fixture('reno'));
    const value = obj.structOps.get('reno')!.value;
    const list = value.list as Buffer;
    list.fill(0xff);
    expect(value.list).toEqual(Buffer.alloc(16));
    expect(thrown(() => { value.list = Buffer.alloc(16); }))
      .toMatchObject({ code: 'EOPNOTSUPP', member: 'list', message: expect.stringMatching(/member list \(struct list_head\) is a struct and is read-only/) });
    expect(thrown(() => { value.owner = Buffer.alloc(8); }).message).toMatch(/member owner \(struct module \*\) is a pointer and is read-only/);
    expect(Object.getOwnPropertyDescriptor(value, 'list')).toMatchObject({ writable: false, enumerable: true });
    expect(Object.getOwnPropertyDescriptor(value, 'flags')).toMatchObject({ writable: true, value: 0 });
  });

  test('JSON.stringify and util.inspect give readable objects', async () => {
    const obj = await openObject(fixture('reno'));
    const value = obj.structOps.get('reno')!.value;
    const json = JSON.parse(JSON.stringify(value)) as Record<string, unknown>;
    expect(json).toMatchObject({
      ssthresh: 'reno_ssthresh', cong_avoid: 'reno_cong_avoid', undo_cwnd: 'reno_undo_cwnd', set_state: null,
      name: 'so_reno', flags: 0, key: 0, list: '00'.repeat(16), owner: '00'.repeat(8),
    });
    expect(Object.keys(json)).toEqual(TCP_MEMBERS);
    const text = inspect(value);
    expect(text).toContain("name: 'so_reno'");
    expect(text).toContain("ssthresh: '[program reno_ssthresh]'");
  });
});

describe('function-pointer members of a shadow value', () => {
  test('swapping a program in and out adjusts which programs load', async () => {
    const obj = await openObject(fixture('shadow'));
    const map = obj.structOps.get('shadow')!;
    const main = obj.programs.get('sh_cong_avoid')!;
    const alt = obj.programs.get('sh_cong_avoid_alt')!;
    map.value.cong_avoid = alt;
    expect(map.value.cong_avoid).toBe(alt);
    expect(map.programs.get('cong_avoid')).toBe(alt);
    expect(main.autoload).toBe(false);
    expect(alt.autoload).toBeUndefined();

    map.value.cong_avoid = main;
    expect(main.autoload).toBeUndefined();
    expect(alt.autoload).toBe(false);

    map.value.set_state = null;
    map.value.cong_avoid = null;
    expect(map.programs.has('cong_avoid')).toBe(false);
    expect(map.value.cong_avoid).toBeNull();
    expect(main.autoload).toBe(false);
  });

  test('a program another map still uses stays loaded', async () => {
    const obj = await openObject(fixture('cubic'));
    const undo = obj.programs.get('cu_undo_cwnd')!;
    obj.structOps.get('cubic_legacy')!.value.undo_cwnd = null;
    expect(undo.autoload).toBeUndefined();
    expect(obj.structOps.get('cubic_link')!.value.undo_cwnd).toBe(undo);
  });

  test('only struct_ops programs of the same object are accepted', async () => {
    const obj = await openObject(fixture('shadow'));
    const other = await openObject(fixture('shadow'));
    const value = obj.structOps.get('shadow')!.value;
    const foreign = thrown(() => { value.cong_avoid = other.programs.get('sh_cong_avoid_alt')!; });
    expect(foreign).toMatchObject({ code: 'EINVAL', map: 'shadow', member: 'cong_avoid' });
    expect(foreign.message).toMatch(/takes a program of the same object .* got program sh_cong_avoid_alt of another object/);
    const socket = thrown(() => { value.cong_avoid = obj.programs.get('sh_socket')!; });
    expect(socket.message).toMatch(/takes a struct_ops program; sh_socket is in section socket/);
    expect(thrown(() => { value.cong_avoid = 'sh_cong_avoid_alt'; }).message).toMatch(/got the string "sh_cong_avoid_alt"/);
    expect(thrown(() => { value.cong_avoid = undefined as unknown as null; }).message).toMatch(/got undefined/);
    expect(value.cong_avoid).toBe(obj.programs.get('sh_cong_avoid'));
  });
});

describe('every member kind (shadow_kinds, a ?.struct_ops map of a local flavour type)', () => {
  const open = async () => (await openObject(fixture('shadow'))).structOps.get('shadow_kinds')!;

  test('reads each kind as its JS type', async () => {
    const map = await open();
    expect(map.structOps.autocreate).toBe(false);
    const v = map.value;
    expect({ ...v }).toEqual({
      ssthresh: map.programs.get('ssthresh'), cong_avoid: null,
      u8v: 200, s8v: -5, u16v: 60000, s16v: -300, u32v: 4000000000, s32v: -70000,
      u64v: 1n << 40n, s64v: -(1n << 40n), flag: true, letter: 'x'.charCodeAt(0), mode: 1, big: 1n << 32n,
      ratio: 0.5, precise: 2.25, name: 'so_kinds',
      window: Buffer.from([1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4, 0, 0, 0]),
      pair: Buffer.from([5, 0, 0, 0, 6, 0, 0, 0]), either: Buffer.from([7, 0, 0, 0]),
      cookie: Buffer.alloc(8), owner: Buffer.alloc(8), bits: 5, rest: 0,
    });
    expect(JSON.parse(JSON.stringify(v))).toMatchObject({ u64v: String(1n << 40n), s64v: String(-(1n << 40n)), big: '4294967296' });
  });

  test.each([
    ['u8v', 255, 256, '0..255'],
    ['s8v', -128, -129, '-128..127'],
    ['u16v', 65535, 65536, '0..65535'],
    ['s16v', -32768, 32768, '-32768..32767'],
    ['s32v', -2147483648, 2147483648, '-2147483648..2147483647'],
    ['u64v', 2n ** 64n - 1n, 2n ** 64n, '0..18446744073709551615'],
    ['s64v', -(2n ** 63n), 2n ** 63n, '-9223372036854775808..9223372036854775807'],
    ['letter', 127, 128, '-128..127'],
    ['mode', -1, 2 ** 31, '-2147483648..2147483647'],
    ['big', 2n ** 64n - 1n, -1n, '0..18446744073709551615'],
  ])('%s accepts %p, rejects %p naming %s', async (member, good, bad, range) => {
    const map = await open();
    map.value[member] = good;
    expect(map.value[member]).toBe(good);
    const err = thrown(() => { map.value[member] = bad; });
    expect(err).toMatchObject({ code: 'ERANGE', member });
    expect(err.message).toContain(`member ${member} (`);
    expect(err.message).toContain(range);
    expect(map.value[member]).toBe(good);
  });

  test('64-bit members take safe numbers too, bools take booleans, floats check float range', async () => {
    const map = await open();
    const v = map.value;
    v.u64v = 5;
    expect(v.u64v).toBe(5n);
    expect(thrown(() => { v.u64v = 2 ** 53; }).message).toMatch(/not a safe integer, pass a bigint/);
    v.flag = false;
    expect(v.flag).toBe(false);
    expect(map.localData[48]).toBe(0);
    expect(thrown(() => { v.flag = 'yes'; })).toMatchObject({ code: 'EINVAL', member: 'flag' });
    v.ratio = 1.25;
    expect(v.ratio).toBe(1.25);
    expect(thrown(() => { v.ratio = 1e39; })).toMatchObject({ code: 'ERANGE', member: 'ratio' });
    v.ratio = Infinity;
    expect(v.ratio).toBe(Infinity);
    v.precise = 1e300;
    expect(v.precise).toBe(1e300);
    expect(thrown(() => { v.precise = 1n; })).toMatchObject({ code: 'EINVAL', member: 'precise' });
  });

  test.each([
    ['window', 'array', '__u32 [4]'],
    ['pair', 'struct', 'struct (anon)'],
    ['either', 'union', 'union (anon)'],
    ['cookie', 'pointer', 'void *'],
    ['owner', 'pointer', 'struct module *'],
    ['bits', 'bitfield', '__u32'],
  ])('%s (%s) is rejected with a message naming it', async (member, kind, cType) => {
    const map = await open();
    const before = Buffer.from(map.localData);
    const err = thrown(() => { map.value[member] = 0; });
    expect(err).toMatchObject({ code: 'EOPNOTSUPP', map: 'shadow_kinds', member });
    expect(err.message).toContain(`member ${member} (${cType}) is a ${kind}`);
    expect(err.message).toContain('read-only');
    expect(map.localData).toEqual(before);
  });
});
