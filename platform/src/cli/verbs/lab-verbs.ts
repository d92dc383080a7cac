import type { Command } from 'commander';
import { registerCheck } from './check.js';
import { registerDiff } from './diff.js';
import { registerHint } from './hint.js';
import { registerLabs } from './labs.js';
import { registerReset } from './reset.js';
import { registerSolve } from './solve.js';
import { registerWatch } from './watch.js';

/** The lab engine's verbs, in the order `tall --help` lists them: labs, check, watch, hint, solve, reset, diff. */
export function registerLabVerbs(program: Command): void {
  for (const register of [registerLabs, registerCheck, registerWatch, registerHint, registerSolve, registerReset, registerDiff]) register(program);
}
