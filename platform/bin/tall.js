#!/usr/bin/env node
// The `tall` command: TypeScript run through tsx, so learners never need a build step.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
