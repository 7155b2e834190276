import net from "node:net";

/** Host every capture server binds to. Nothing else is ever used. */
export const LOOPBACK = "127.0.0.1";

function bindZero(): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.once("error", reject);
    srv.listen({ host: LOOPBACK, port: 0, exclusive: true }, () => resolve(srv));
  });
}

function close(srv: net.Server): Promise<void> {
  return new Promise((resolve) => srv.close(() => resolve()));
}

/**
 * Find `count` distinct free TCP ports on 127.0.0.1 by binding port 0 (the kernel
 * picks a free one). All listeners are held open until every port is known, so the
 * ports are distinct, then closed so that valkey-server can bind them.
 */
export async function findFreePorts(count: number): Promise<number[]> {
  if (!Number.isInteger(count) || count < 1) throw new Error(`findFreePorts: bad count ${count}`);
  const servers: net.Server[] = [];
  try {
    for (let i = 0; i < count; i++) servers.push(await bindZero());
    return servers.map((s) => (s.address() as net.AddressInfo).port);
  } finally {
    await Promise.all(servers.map(close));
  }
}

export async function findFreePort(): Promise<number> {
  return (await findFreePorts(1))[0]!;
}
