// struct-ops side of the map benchmarks (scripts/bench.sh), mirroring maps-libbpf.c: same
// object, same rows, one JSON line each. Needs dist/ (npm run build:ts) and root.
'use strict';
const { join } = require('node:path');
const { endianness } = require('node:os');
const { openObject } = require(join(__dirname, '..', '..', 'dist', 'index.js'));

async function main() {
  const [file, lookupsArg, recordsArg, roundsArg] = process.argv.slice(2);
  const lookups = Number(lookupsArg ?? 1e6);
  const records = Number(recordsArg ?? 1e5);
  const rounds = Number(roundsArg ?? 10);
  const obj = await openObject(file ?? join(__dirname, '..', '..', 'test', 'fixtures', 'bpf', 's11_bench.bpf.o'));
  await obj.load();
  const hash = obj.maps.get('s11b_hash');
  const pcpu = obj.maps.get('s11b_pcpu');
  const key = Buffer.alloc(4);
  key.writeUInt32LE(1);
  hash.update(key, Buffer.from([7, 0, 0, 0, 0, 0, 0, 0]));
  const out = Buffer.alloc(hash.layout.valueBytes);
  let t = process.hrtime.bigint();
  for (let i = 0; i < lookups; i++) if (!hash.lookup(key, out)) throw new Error('miss');
  report('hash lookups/s', lookups, t);
  const zero = Buffer.alloc(4);
  const pout = Buffer.alloc(pcpu.layout.valueBytes);
  t = process.hrtime.bigint();
  for (let i = 0; i < lookups; i++) if (!pcpu.lookup(zero, pout)) throw new Error('miss');
  report('per-CPU lookups/s', lookups, t);

  const emit = obj.programs.get('s11b_emit');
  const args = Buffer.alloc(8);
  args.writeUInt32LE(records);
  // The same check per record as maps-libbpf.c's on_record: length 16, the u64 seq one
  // more than the last. The seq is compared as two u32 halves rather than as a BigInt:
  // readBigUInt64LE allocates a heap BigInt per record, which would time V8's allocator,
  // not the ring. Halves in host order, as the program wrote them.
  const LO = endianness() === 'LE' ? 0 : 1;
  let lastLo = 0;
  let lastHi = 0;
  let seen = 0;
  const check = (lo, hi, len) => {
    const carry = lastLo === 0xffffffff ? 1 : 0;
    if (len !== 16 || (seen !== 0 && (lo !== ((lastLo + 1) >>> 0) || hi !== ((lastHi + carry) >>> 0)))) {
      throw new Error('records out of order');
    }
    lastLo = lo;
    lastHi = hi;
    seen++;
  };
  const rows = {
    consumeBatch: 'ring buffer records/s (consumeBatch)',
    consumeEach: 'ring buffer records/s (consumeEach)',
    consume: 'ring buffer records/s (consume, Buffer each)',
    iterator: 'ring buffer records/s (for await)',
  };
  // check() unrolled into the batch loop, the state in locals for the loop's length (V8
  // keeps closure variables in memory; the work per record is the same).
  const onBatch = ({ count, offsets, lengths, words }) => {
    let lo0 = lastLo;
    let hi0 = lastHi;
    let n = seen;
    for (let i = 0; i < count; i++) {
      const w = offsets[i] >>> 2;
      const lo = words[w + LO];
      const hi = words[w + 1 - LO];
      const carry = lo0 === 0xffffffff ? 1 : 0;
      if (lengths[i] !== 16 || (n !== 0 && (lo !== ((lo0 + 1) >>> 0) || hi !== ((hi0 + carry) >>> 0)))) {
        throw new Error('records out of order');
      }
      lo0 = lo;
      hi0 = hi;
      n++;
    }
    lastLo = lo0;
    lastHi = hi0;
    seen = n;
  };
  const readU32 = (b, off) => (LO === 0 ? b.readUInt32LE(off) : b.readUInt32BE(off));
  const each = (b, off, len) => check(readU32(b, off + 4 * LO), readU32(b, off + 4 - 4 * LO), len);
  const one = (r) => each(r, 0, r.length);
  for (const mode of Object.keys(rows)) {
    const reader = obj.maps.get('s11b_ring').ringBuffer();
    seen = 0;
    let spent = 0n;
    // Round 0 warms up untimed (V8 compiles the consumer while it runs), as maps-libbpf.c
    // does: the rows are steady-state rates on both sides.
    for (let round = 0; round <= rounds; round++) {
      emit.testRun({ ctxIn: args });
      const want = seen + records;
      t = process.hrtime.bigint();
      if (mode === 'consumeBatch') {
        while (seen < want) reader.consumeBatch(onBatch);
      } else if (mode === 'consumeEach') {
        while (seen < want) reader.consumeEach(each);
      } else if (mode === 'consume') {
        while (seen < want) reader.consume(one);
      } else {
        while (seen < want) one((await reader.next()).value);
      }
      if (round > 0) spent += process.hrtime.bigint() - t;
    }
    reader.close();
    console.log(JSON.stringify({ row: rows[mode], rate: Math.round(rounds * records / (Number(spent) / 1e9)) }));
  }
  obj.close();
}

function report(row, n, start) {
  const s = Number(process.hrtime.bigint() - start) / 1e9;
  console.log(JSON.stringify({ row, rate: Math.round(n / s) }));
}

main().catch((e) => {
  console.error(e.message);
  process.exit(1);
});
