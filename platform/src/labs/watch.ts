/**
 * What `tall watch` reacts to: changes under services/ (debounced), or Enter in manual mode — for file systems where
 * watching does not work (a Windows folder under WSL, some network drives).
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { createInterface } from 'node:readline';
import { watch, type FSWatcher } from 'chokidar';
import { isNoise } from './tree.js';

export interface Triggers {
  mode: 'watch' | 'poll' | 'manual';
  close(): Promise<void>;
}

export interface TriggerOptions {
  dir: string;
  mode: 'watch' | 'poll' | 'manual';
  debounceMs?: number;
  /** a file changed (after the debounce), or Enter was pressed */
  onTrigger(reason: string): void;
  onQuit(): void;
  /** watching failed: the caller should say so; manual mode keeps working */
  onWatchError(error: Error): void;
}

export function startTriggers(options: TriggerOptions): Triggers {
  let watcher: FSWatcher | undefined;
  let timer: NodeJS.Timeout | undefined;
  const changed = new Set<string>();
  if (options.mode !== 'manual') {
    watcher = watch(options.dir, {
      ignoreInitial: true,
      usePolling: options.mode === 'poll',
      interval: 500,
      ignored: (path, stats) => isNoise(basename(path), Boolean(stats?.isDirectory())) || basename(path) === 'node_modules' || basename(path) === 'dist',
    });
    watcher.on('all', (_event, path) => {
      changed.add(path.slice(options.dir.length + 1) || path);
      clearTimeout(timer);
      timer = setTimeout(() => {
        const files = [...changed];
        changed.clear();
        options.onTrigger(`changed: ${files.slice(0, 3).join(', ')}${files.length > 3 ? ` and ${files.length - 3} more` : ''}`);
      }, options.debounceMs ?? 600);
    });
    watcher.on('error', (error) => options.onWatchError(error as Error));
  }
  const input = process.stdin.isTTY || options.mode === 'manual' ? createInterface({ input: process.stdin }) : undefined;
  input?.on('line', (line) => {
    const command = line.trim().toLowerCase();
    if (command === 'q' || command === 'quit') options.onQuit();
    else options.onTrigger('Enter pressed');
  });
  return {
    mode: options.mode,
    async close() {
      clearTimeout(timer);
      input?.close();
      await watcher?.close();
    },
  };
}

/** A Windows drive seen from WSL (/mnt/c/...): file events often never arrive there. */
export function watchingLikelyBroken(dir: string): boolean {
  try {
    return /microsoft/i.test(readFileSync('/proc/version', 'utf8')) && dir.startsWith('/mnt/');
  } catch {
    return false;
  }
}
