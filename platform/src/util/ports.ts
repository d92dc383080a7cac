import net from 'node:net';

export function isPortFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

/** The first free loopback port from `start` upward (environments other than the default get the next free one). */
export async function firstFreePort(start: number): Promise<number> {
  for (let port = start; port < start + 200; port++) {
    if (await isPortFree(port)) return port;
  }
  throw new Error(`no free port between ${start} and ${start + 199}; pass --port`);
}
/** Asks the OS for a free port on loopback. */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, host, () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Ports unclaimedPort() handed out, with when: a port is free until its instance binds it, which takes seconds. */
const handedOut = new Map<number, number>();
const HELD_MS = 60_000;

/**
 * A free loopback port this process has not handed out in the last minute. The OS may give the same free port to two
 * calls in a row, and an instance takes seconds to bind the one it got: two instances started one after the other
 * would otherwise both be told to listen on it.
 */
export async function unclaimedPort(host = '127.0.0.1'): Promise<number> {
  for (let attempt = 1; ; attempt++) {
    const now = Date.now();
    for (const [port, at] of handedOut) if (now - at > HELD_MS) handedOut.delete(port);
    const port = await freePort(host);
    if (!handedOut.has(port) || attempt >= 50) {
      handedOut.set(port, now);
      return port;
    }
  }
}
