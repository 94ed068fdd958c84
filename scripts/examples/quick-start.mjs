// Quick start: load the TCP congestion controller shipped with struct-ops, register it, use
// it on a socket, read its counters, unregister. Run as root: node quick-start.mjs
import { connect, createServer } from 'node:net';
import { demoObjectPath, getCongestionControl, openObject, setCongestionControl } from 'struct-ops';

const obj = await openObject(demoObjectPath());   // parse only: no kernel access yet
await obj.load();                                 // BTF, maps, programs, struct_ops value
const link = await obj.structOps.get('so_demo').attach();   // registers "so_demo"

const server = createServer((peer) => peer.resume()).listen(0, '127.0.0.1');
await new Promise((r) => server.once('listening', r));
const socket = connect(server.address().port, '127.0.0.1');
await new Promise((r) => socket.once('connect', r));
setCongestionControl(socket, 'so_demo');
console.log('socket uses', getCongestionControl(socket));
await new Promise((r) => socket.write(Buffer.alloc(8 << 20), r));  // 8 MiB through it
socket.destroy();
server.close();

const { cong_avoid_calls, init_calls } = obj.readGlobals('.bss');
console.log(`init ${init_calls}, cong_avoid ${cong_avoid_calls}`);
link.close();                                     // unregisters
obj.close();                                      // releases every fd
