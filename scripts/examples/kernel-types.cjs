// What can a struct_ops program implement on this kernel? Reads kernel BTF only: no root.
// node scripts/examples/kernel-types.cjs [tcp_congestion_ops]
const { listStructOpsTypes } = require('struct-ops');

const name = process.argv[2] ?? 'tcp_congestion_ops';
const [type] = listStructOpsTypes(name);
if (!type) {
  console.error(`this kernel has no struct_ops type ${name}`);
  process.exit(1);
}
console.log(`struct ${type.name} (${type.module}, ${type.size} bytes):`);
for (const m of type.members) console.log(`  ${m.declaration};${m.kind === 'function' ? '  /* callback */' : ''}`);
