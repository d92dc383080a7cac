import { spawn } from 'node:child_process';

/**
 * Whether a browser can be opened here, and why not: never in CI, over SSH, or on a Linux/BSD machine without a
 * display (a container, a server, a headless test run) — there a URL to copy is all one can give.
 */
export function browserUnavailable(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string | undefined {
  if (env.CI && env.CI !== 'false' && env.CI !== '0') return 'running in CI';
  const display = Boolean(env.DISPLAY || env.WAYLAND_DISPLAY);
  if ((env.SSH_CONNECTION || env.SSH_TTY) && !display) return 'a remote shell (SSH)';
  if (platform !== 'darwin' && platform !== 'win32' && !display) return 'no desktop here (neither DISPLAY nor WAYLAND_DISPLAY is set)';
  return undefined;
}

/** Opens `url` in the desktop's default browser; resolves with why not when the opener could not run. */
export function openInBrowser(url: string, platform: NodeJS.Platform = process.platform): Promise<string | undefined> {
  const [command, args] = platform === 'darwin' ? ['open', [url]] : platform === 'win32' ? ['cmd', ['/c', 'start', '""', url]] : ['xdg-open', [url]];
  return new Promise((resolve) => {
    const child = spawn(command, args, { detached: true, stdio: 'ignore', windowsVerbatimArguments: platform === 'win32' });
    child.once('error', (error) => resolve(`${command} could not run (${error.message})`));
    child.once('spawn', () => {
      child.unref();
      resolve(undefined);
    });
  });
}
