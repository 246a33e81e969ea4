import { createConnection, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP address that stands for a managed service's (a Postgres endpoint whose server a failover
 * replaces): every connection is passed to the current target; `pointAt` moves the address, cutting
 * the connections open to the old target as the service does.
 */
export interface TcpProxy {
  port: number;
  pointAt(port: number): void;
  /** Connections refused (closed at once) until `pointAt`: the address between two servers. */
  refuse(): void;
  close(): Promise<void>;
}

export async function startTcpProxy(targetPort: number): Promise<TcpProxy> {
  let target: number | null = targetPort;
  const open = new Set<Socket>();
  const cutAll = () => {
    for (const socket of open) socket.destroy();
    open.clear();
  };
  const server: Server = createServer((client) => {
    if (target === null) {
      client.destroy();
      return;
    }
    const upstream = createConnection({ host: '127.0.0.1', port: target });
    open.add(client);
    open.add(upstream);
    const close = () => {
      client.destroy();
      upstream.destroy();
      open.delete(client);
      open.delete(upstream);
    };
    client.on('error', close).on('close', close);
    upstream.on('error', close).on('close', close);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the proxy has no port');
  return {
    port: address.port,
    pointAt(port) {
      target = port;
      cutAll();
    },
    refuse() {
      target = null;
      cutAll();
    },
    async close() {
      cutAll();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
