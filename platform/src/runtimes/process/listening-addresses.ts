import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/**
 * The TCP addresses a process group listens on, e.g. ["0.0.0.0:41234"], so the platform can tell an instance that is
 * reachable from the classroom's Wi-Fi (past the router) from one that listens on loopback only.
 * Linux: /proc (sockets of every process in the group); macOS and other Unixes: lsof when it is installed; else [].
 */
export function listeningAddresses(pgid: number): string[] {
  if (process.platform === 'linux') return fromProc(pgid);
  try {
    const out = execFileSync('lsof', ['-nP', '-g', String(pgid), '-iTCP', '-sTCP:LISTEN', '-Fn'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 3000 });
    return out.split('\n').filter((line) => line.startsWith('n')).map((line) => line.slice(1).replace(/^\*:/, '0.0.0.0:'));
  } catch {
    return [];
  }
}

/** True for 127.0.0.0/8, ::1 and IPv4-mapped loopback: what only this machine can reach. */
export function isLoopback(address: string): boolean {
  const host = address.slice(0, address.lastIndexOf(':')).replace(/^\[|\]$/g, '');
  return /^127\./.test(host) || host === '::1' || /^::ffff:127\./.test(host);
}

function fromProc(pgid: number): string[] {
  const inodes = new Set<string>();
  for (const pid of groupMembers(pgid)) {
    let fds: string[] = [];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
        if (match) inodes.add(match[1]!);
      } catch {
        // the fd closed meanwhile
      }
    }
  }
  return [...listeningSockets('/proc/net/tcp', false), ...listeningSockets('/proc/net/tcp6', true)]
    .filter((socket) => inodes.has(socket.inode))
    .map((socket) => socket.address);
}

function groupMembers(pgid: number): number[] {
  const members: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // Fields after the command name: state, ppid, pgrp, …
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]) === pgid) members.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return members;
}

/** LISTEN (state 0A) rows of /proc/net/tcp{,6}: local address (hex, host byte order per 32-bit word) and socket inode. */
function listeningSockets(file: string, ipv6: boolean): { address: string; inode: string }[] {
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  return text.split('\n').slice(1).flatMap((line) => {
    const fields = line.trim().split(/\s+/);
    if (fields[3] !== '0A' || !fields[1] || !fields[9]) return [];
    const [hexHost, hexPort] = fields[1].split(':') as [string, string];
    return [{ address: `${ipv6 ? ipv6Host(hexHost) : ipv4Host(hexHost)}:${parseInt(hexPort, 16)}`, inode: fields[9] }];
  });
}

function ipv4Host(hex: string): string {
  return [6, 4, 2, 0].map((at) => parseInt(hex.slice(at, at + 2), 16)).join('.');
}

function ipv6Host(hex: string): string {
  // Four 32-bit words, each in host (little-endian) byte order.
  const bytes = [0, 8, 16, 24].flatMap((word) => [6, 4, 2, 0].map((at) => parseInt(hex.slice(word + at, word + at + 2), 16)));
  if (bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 255 && bytes[11] === 255) return `::ffff:${bytes.slice(12).join('.')}`;
  if (bytes.every((b) => b === 0)) return '::';
  if (bytes.slice(0, 15).every((b) => b === 0) && bytes[15] === 1) return '::1';
  const groups = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
  return `[${groups.join(':')}]`.replace(/^\[|\]$/g, '');
}
