// Edit struct_ops values before load, register through a link, then live-swap the link to
// a second instance of the same algorithm. Run as root: node scripts/examples/edit-and-swap.cjs
const { openObject } = require('struct-ops');
const { join } = require('node:path');

const object = join(__dirname, '..', '..', 'lib', 'demo', 'demo_cc.bpf.o');

async function instance() {
  const obj = await openObject(object);
  obj.structOps.get('so_demo').value.name = 'so_example';   // one object, any name
  await obj.load();
  return obj;
}

(async () => {
  const first = await instance();
  const second = await instance();
  const link = await first.structOps.get('so_demo').attach();
  console.log('registered so_example, link id', link.id, 'map id', link.info().structOpsMapId);
  link.update(second.structOps.get('so_demo'));             // atomic BPF_LINK_UPDATE
  console.log('swapped to map id', link.info().structOpsMapId);
  link.close();
  first.close();
  second.close();
})().catch((err) => {
  console.error(err.message, err.hint ? `\nhint: ${err.hint}` : '');
  process.exit(1);
});
