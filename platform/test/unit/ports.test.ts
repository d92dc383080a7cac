// The process runtime's ports: an instance is told its port before it binds it, so two instances started one after the
// other must never be told the same one (the OS may offer a just-released port again).
import net from 'node:net';
import { describe, expect, it, vi } from 'vitest';
import { unclaimedPort } from '../../src/util/ports.js';

describe('unclaimedPort', () => {
  it('never hands out the same port twice in a row, even when the OS offers it again', async () => {
    const ports = [];
    for (let i = 0; i < 40; i++) ports.push(await unclaimedPort());
    expect(new Set(ports).size).toBe(ports.length);
  });

  it('asks again when the OS offers a port it handed out a moment ago', async () => {
    const first = await unclaimedPort();
    // The OS offers `first` once more, then another port.
    const offered = vi.spyOn(net.Server.prototype, 'address').mockReturnValueOnce({ address: '127.0.0.1', family: 'IPv4', port: first });
    const second = await unclaimedPort();
    offered.mockRestore();
    expect(second).not.toBe(first);
  });
});
