/**
 * Git for the grader: never prompts, never runs a hook or a student's configuration, bounded in time. Student
 * repositories are often owned by another user (a shared folder of clones), which git refuses without safe.directory.
 */
import { execFile } from 'node:child_process';

const TIMEOUT_MS = 120_000;
const SAFE = ['-c', 'safe.directory=*', '-c', 'core.hooksPath=/dev/null', '-c', 'protocol.file.allow=always', '-c', 'core.fsmonitor=false'];

export class GitError extends Error {}

export function git(args: string[], options: { cwd?: string; input?: string; maxBuffer?: number; encoding?: 'utf8' | 'buffer' } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('git', [...SAFE, ...args], {
      cwd: options.cwd,
      timeout: TIMEOUT_MS,
      maxBuffer: options.maxBuffer ?? 64 * 1024 ** 2,
      env: { ...process.env, GIT_TERMINAL_PROMPT: '0', GIT_ASKPASS: 'true', GIT_CONFIG_NOSYSTEM: '1', LC_ALL: 'C' },
    }, (error, stdout, stderr) => {
      if (error) return reject(new GitError(`git ${args[0]}: ${String(stderr).trim().split('\n').slice(-2).join(' ') || error.message}`));
      resolve(String(stdout));
    });
  });
}

/** The raw bytes of a blob (a symlink's target, a file to compare). */
export function gitBlob(repo: string, sha: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    execFile('git', [...SAFE, 'cat-file', 'blob', sha], { cwd: repo, encoding: 'buffer', timeout: TIMEOUT_MS, maxBuffer: 256 * 1024 ** 2 }, (error, stdout) => (error ? reject(new GitError(`git cat-file ${sha}: ${error.message}`)) : resolve(stdout)));
  });
}
