// struct-ops side of the map benchmarks (scripts/bench.sh), mirroring maps-libbpf.c: same
// object, same rows, one JSON line each. Needs dist/ (npm run build:ts) and root.
'use strict';
const { join } = require('node:path');
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
  for (const mode of ['consumeEach', 'consume', 'iterator']) {
    const reader = obj.maps.get('s11b_ring').ringBuffer();
    let last = -1n;
    let seen = 0;
    let spent = 0n;
    const check = (r) => {
      const seq = r.readBigUInt64LE(0);
      if (r.length !== 16 || (last >= 0n && seq !== last + 1n)) throw new Error('records out of order');
      last = seq;
      seen++;
    };
    for (let round = 0; round < rounds; round++) {
      emit.testRun({ ctxIn: args });
      const want = seen + records;
      t = process.hrtime.bigint();
      if (mode === 'consumeEach') {
        const each = (b, off, len) => {
          const seq = b.readBigUInt64LE(off);
          if (len !== 16 || (last >= 0n && seq !== last + 1n)) throw new Error('records out of order');
          last = seq;
          seen++;
        };
        while (seen < want) reader.consumeEach(each);
      } else if (mode === 'consume') {
        while (seen < want) reader.consume(check);
      } else {
        while (seen < want) check((await reader.next()).value);
      }
      spent += process.hrtime.bigint() - t;
    }
    reader.close();
    console.log(JSON.stringify({ row: { consumeEach: 'ring buffer records/s', consume: 'ring buffer records/s (consume, Buffer each)', iterator: 'ring buffer records/s (for await)' }[mode], rate: Math.round(rounds * records / (Number(spent) / 1e9)) }));
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
