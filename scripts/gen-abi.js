#!/usr/bin/env node
'use strict';
/**
 * The one source of kernel ABI layouts. Reads union bpf_attr (every command's struct),
 * bpf_*_info, the record structs and the enums we use from a BTF file and writes
 *   lib/sys/abi.generated.ts   offsets and sizes for the TS field tables
 *   native/abi_generated.h     the same offsets for the addon's command table
 *
 *   node scripts/gen-abi.js                   regenerate both from the committed fixture
 *   node scripts/gen-abi.js --check           exit 1 if the committed outputs are stale
 *   node scripts/gen-abi.js --extract [BTF]   cut a new fixture out of a kernel's BTF
 *                                             (default /sys/kernel/btf/vmlinux), then regenerate
 *
 * The fixture (test/fixtures/abi/uapi.btf) holds just those types and what they refer to,
 * so the outputs are reproducible from a committed input on any machine.
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { readBtf } = require('./gen-abi/btf-read');
const { collect } = require('./gen-abi/layout');
const { subsetBtf } = require('./gen-abi/subset');
const { emitTs, emitHeader } = require('./gen-abi/emit');

const ROOT = path.resolve(__dirname, '..');
const FIXTURE = 'test/fixtures/abi/uapi.btf';
const FIXTURE_NOTE = 'test/fixtures/abi/uapi.btf.txt';
const TS_OUT = 'lib/sys/abi.generated.ts';
const HEADER_OUT = 'native/abi_generated.h';

/** The two generated files for BTF bytes. */
function generate(btfBytes, kernelNote) {
  const abi = collect(readBtf(btfBytes).types);
  const source = `${FIXTURE} (${kernelNote})`;
  return { [TS_OUT]: emitTs(abi, source), [HEADER_OUT]: emitHeader(abi, source) };
}

/** Which kernel the fixture was cut from (first line of the note file). */
function fixtureKernel(root = ROOT) {
  return fs.readFileSync(path.join(root, FIXTURE_NOTE), 'utf8').split('\n')[0].trim();
}

function generateFromFixture(root = ROOT) {
  return generate(fs.readFileSync(path.join(root, FIXTURE)), fixtureKernel(root));
}

function extract(btfPath) {
  const parsed = readBtf(fs.readFileSync(btfPath));
  const roots = collect(parsed.types).roots;
  fs.writeFileSync(path.join(ROOT, FIXTURE), subsetBtf(parsed, roots));
  fs.writeFileSync(
    path.join(ROOT, FIXTURE_NOTE),
    `Linux ${os.release()}\nCut from ${btfPath} by \`node scripts/gen-abi.js --extract\`: union bpf_attr, ` +
      `bpf_*_info, bpf_insn/func_info/line_info and enums bpf_cmd/map_type/prog_type/attach_type/link_type ` +
      `with every type they refer to.\n`,
  );
}

function main(argv) {
  if (argv[0] === '--extract') extract(argv[1] ?? '/sys/kernel/btf/vmlinux');
  const outputs = generateFromFixture();
  if (argv[0] === '--check') {
    const stale = Object.keys(outputs).filter((f) => {
      const p = path.join(ROOT, f);
      return !fs.existsSync(p) || fs.readFileSync(p, 'utf8') !== outputs[f];
    });
    if (stale.length > 0) {
      process.stderr.write(`gen-abi: stale: ${stale.join(', ')}; run node scripts/gen-abi.js\n`);
      process.exit(1);
    }
    return;
  }
  for (const [f, text] of Object.entries(outputs)) fs.writeFileSync(path.join(ROOT, f), text);
}

module.exports = { generate, generateFromFixture, FIXTURE, TS_OUT, HEADER_OUT };

if (require.main === module) main(process.argv.slice(2));
