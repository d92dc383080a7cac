/**
 * Bubblewrap (Debian's `bubblewrap`, the sandbox Flatpak uses) around every student process the host runs: the whole
 * filesystem read-only, the hidden folders empty, a private /tmp of bounded size, its own process and IPC namespaces,
 * the Docker socket out of reach, and rlimits (file size, core dumps, open files) through util-linux's `prlimit`.
 * The network is shared: the router must reach the instance on 127.0.0.1.
 * Memory, CPU and process count stay the limiter's (cgroups or the watchdog), which wraps this argv in turn.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import type { Containment } from './containment.js';

const DOCKER_SOCKETS = ['/var/run/docker.sock', '/run/docker.sock'];
const MAX_OPEN_FILES = 1024;
const FORWARDED = 'TERM,INT,HUP,QUIT';

/** `argv` as it runs contained (unchanged without a sandbox). `cwd` must be inside a writable folder or readable. */
export function sandboxed(argv: string[], containment: Containment | undefined): string[] {
  if (!containment || containment.sandbox === 'none') return argv;
  // bubblewrap forwards no signal, and its outer process would die of a SIGTERM and take the program with it: the
  // wrappers ignore SIGTERM/SIGINT (a signal to the instance's process group reaches the program itself), and the
  // program gets the default handling back.
  const args = ['env', `--ignore-signal=${FORWARDED}`, 'bwrap', '--ro-bind', '/', '/', '--dev', '/dev', '--proc', '/proc', '--unshare-pid', '--unshare-ipc', '--die-with-parent'];
  args.push('--size', String(containment.tmpBytes), '--tmpfs', '/tmp');
  for (const dir of containment.hidden) if (existsSync(dir)) args.push('--tmpfs', dir);
  for (const dir of containment.privateDirs ?? []) if (existsSync(dir)) args.push('--size', String(containment.tmpBytes), '--tmpfs', dir);
  // /var/run is often a link to /run: bwrap mounts only on real paths.
  for (const socket of new Set(DOCKER_SOCKETS.filter((path) => existsSync(path)).map((path) => realpathSync(path)))) args.push('--ro-bind', '/dev/null', socket);
  for (const dir of containment.writable) if (existsSync(dir)) args.push('--bind', dir, dir);
  for (const link of containment.links) args.push('--symlink', link.target, link.path);
  // Read-only once the mount points inside them exist: a write there would vanish with the sandbox, but it must fail.
  for (const dir of containment.hidden) if (existsSync(dir)) args.push('--remount-ro', dir);
  args.push('--', 'env', `--default-signal=${FORWARDED}`, 'prlimit', `--fsize=${containment.maxFileBytes}`, '--core=0', `--nofile=${MAX_OPEN_FILES}`, '--');
  return [...args, ...argv];
}

/** Why grading can't sandbox here, or undefined when it can. */
export function sandboxProblem(): string | undefined {
  if (process.platform !== 'linux') return 'the grading sandbox (bubblewrap) exists on Linux only';
  for (const tool of ['bwrap', 'prlimit']) {
    const found = spawnSync(tool, ['--version'], { stdio: 'ignore' });
    if (found.error || found.status !== 0) return `"${tool}" is not installed (Debian/Ubuntu: sudo apt-get install bubblewrap util-linux)`;
  }
  const tried = spawnSync('bwrap', ['--ro-bind', '/', '/', '--unshare-pid', '--proc', '/proc', '--dev', '/dev', 'true'], { encoding: 'utf8' });
  if (tried.status !== 0) return `bubblewrap cannot create a sandbox here: ${(tried.stderr || '').trim() || `exit ${tried.status}`}`;
  return undefined;
}
