/**
 * jscpd 5 (a Rust binary; no Node API since v5) run over a folder, its clones read from the JSON report it writes
 * into a folder of ours — never the repository — with its console output silenced.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { promisify } from 'node:util';

const require = createRequire(import.meta.url);
const run = promisify(execFile);

export interface CloneSide {
  /** relative to the scanned folder */
  name: string;
  /** 1-based, inclusive */
  start: number;
  end: number;
}

export interface Clone {
  firstFile: CloneSide;
  secondFile: CloneSide;
}

export interface JscpdOptions {
  minTokens?: number;
  minLines?: number;
}

/**
 * The clones in `folder`. Identifiers count as equal (--ignore-identifiers), so renaming variables does not hide a
 * copy; literals still count, and the token minimum keeps one-line idioms out.
 */
export async function detectClones(folder: string, outputDir: string, options: JscpdOptions = {}): Promise<Clone[]> {
  const args = [
    require.resolve('jscpd/run-jscpd.js'),
    '.',
    '--reporters', 'json',
    '--output', outputDir,
    '--silent',
    '--no-gitignore',
    '--no-colors',
    '--format', 'typescript,javascript,json,yaml',
    '--formats-exts', 'javascript:js,mjs,cjs;yaml:yaml,yml',
    '--ignore-identifiers',
    '--min-tokens', String(options.minTokens ?? 40),
    '--min-lines', String(options.minLines ?? 4),
  ];
  await run(process.execPath, args, { cwd: folder });
  const report = JSON.parse(await readFile(join(outputDir, 'jscpd-report.json'), 'utf8')) as { duplicates?: Clone[] };
  return report.duplicates ?? [];
}
