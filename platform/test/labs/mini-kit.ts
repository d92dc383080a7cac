/** Small lab kits on the platform's own test system (fixtures/mini), for the lab engine's CLI tests. */
import { readFileSync, writeFileSync } from 'node:fs';
import { parse, stringify } from 'yaml';

/** The mini system without its "slow" service: fewer processes, and no healthcheck a busy machine can trip. */
export function onlyEcho(composeFile: string): void {
  const document = parse(readFileSync(composeFile, 'utf8')) as { services: Record<string, unknown> };
  delete document.services.slow;
  writeFileSync(composeFile, stringify(document));
}
