import * as dgram from 'node:dgram';
import * as net from 'node:net';

/**
 * Tries to bind `proto` port `port` on `ip` and closes the socket at once: the check
 * dockerd's port allocator makes before it programs a DNAT rule, so a port some host
 * process listens on gives a clear error instead of a rule that silently steals its
 * traffic. Resolves undefined when the port is free, else the errno code (EADDRINUSE,
 * EADDRNOTAVAIL, ...). berth's own reservations are tracked by the caller.
 */
export function probePort(proto: string, ip: string, port: number): Promise<string | undefined> {
  const host = ip || '0.0.0.0';
  const code = (err: unknown): string => (err as NodeJS.ErrnoException).code ?? 'EINVAL';
  if (proto === 'udp') {
    return new Promise((resolve) => {
      const s = dgram.createSocket({ type: 'udp4' });
      s.once('error', (err) => {
        s.close();
        resolve(code(err));
      });
      s.bind({ address: host, port, exclusive: true }, () => s.close(() => resolve(undefined)));
    });
  }
  if (proto !== 'tcp') return Promise.resolve(undefined);
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', (err) => resolve(code(err)));
    srv.listen({ host, port, exclusive: true }, () => srv.close(() => resolve(undefined)));
  });
}
