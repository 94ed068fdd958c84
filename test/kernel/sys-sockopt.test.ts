import { once } from 'node:events';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { BpfError } from '../../lib/errors';
import { getsockopt, setsockopt } from '../../lib/sys';
import { describeKernel, openFdCount } from '../helpers/kernel';

const IPPROTO_TCP = 6;
const TCP_CONGESTION = 13;

function fdOf(socket: Socket): number {
  return (socket as unknown as { _handle: { fd: number } })._handle.fd;
}

describeKernel('lib/sys TCP_CONGESTION socket option', () => {
  let server: Server;
  let client: Socket;
  let baseline = 0;

  beforeAll(async () => {
    baseline = openFdCount();
    server = createServer((s) => s.on('error', () => undefined));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as { port: number };
    client = connect(port, '127.0.0.1');
    await once(client, 'connect');
  });
  afterAll(async () => {
    client.destroy();
    server.close();
    await once(server, 'close');
    expect(openFdCount()).toBe(baseline);
  });

  test('sets and reads back the built-in reno', () => {
    setsockopt(fdOf(client), IPPROTO_TCP, TCP_CONGESTION, Buffer.from('reno'));
    const name = getsockopt(fdOf(client), IPPROTO_TCP, TCP_CONGESTION, 16);
    expect(name.subarray(0, name.indexOf(0)).toString()).toBe('reno');
  });

  test('errors: unknown algorithm, other options, bad fd', () => {
    const run = (fn: () => unknown): BpfError => {
      try {
        fn();
      } catch (e) {
        return e as BpfError;
      }
      throw new Error('expected an error');
    };
    expect(run(() => setsockopt(fdOf(client), IPPROTO_TCP, TCP_CONGESTION, Buffer.from('no_such_cc')))).toMatchObject({
      code: 'ENOENT',
      errno: 2,
    });
    // SOL_SOCKET/SO_ATTACH_FILTER would take a struct with a user pointer: refused.
    expect(run(() => setsockopt(fdOf(client), 1, 26, Buffer.alloc(16))).code).toBe('EINVAL');
    expect(run(() => getsockopt(fdOf(client), IPPROTO_TCP, 1, 4)).code).toBe('EINVAL');
    expect(run(() => getsockopt(0x7fff_0000, IPPROTO_TCP, TCP_CONGESTION, 16)).code).toBe('EBADF');
  });
});
