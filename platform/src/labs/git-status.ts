/** Does services/ hold work that git has not saved? `tall solve` and `tall reset` refuse to overwrite it without --force. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export type WorkState =
  | { kind: 'clean' }
  | { kind: 'uncommitted'; files: string[] }
  /** not a git checkout, or git is not installed: we cannot tell */
  | { kind: 'unknown'; why: string };

export async function uncommittedWork(root: string, path = 'services'): Promise<WorkState> {
  try {
    const { stdout } = await run('git', ['status', '--porcelain', '--untracked-files=all', '--', path], { cwd: root });
    const files = stdout.split('\n').filter(Boolean).map((line) => line.slice(3));
    return files.length ? { kind: 'uncommitted', files } : { kind: 'clean' };
  } catch (error) {
    const err = error as NodeJS.ErrnoException & { stderr?: string };
    return { kind: 'unknown', why: err.code === 'ENOENT' ? 'git is not installed' : (err.stderr ?? err.message).trim().split('\n')[0] ?? 'git failed' };
  }
}
