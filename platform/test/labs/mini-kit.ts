/** Small lab kits on the platform's own test system (fixtures/mini), for the lab engine's CLI tests. */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parse, stringify } from 'yaml';
import { copyTree } from '../../src/labs/tree.js';
import { MINI, REPO } from '../support/tall-cli.js';

/** What a kit's checks.ts imports the engine as. */
export const CHECK_API = pathToFileURL(join(REPO, 'platform/src/labs/check-api.ts')).href;

/** The mini system without its "slow" service: fewer processes, and no healthcheck a busy machine can trip. */
export function onlyEcho(composeFile: string): void {
  const document = parse(readFileSync(composeFile, 'utf8')) as { services: Record<string, unknown> };
  delete document.services.slow;
  writeFileSync(composeFile, stringify(document));
}

/**
 * A kit in a temp folder: the mini system (echo only) as services/, labs/manifest.yaml, and a checks.ts for each lab
 * folder named in `checks` (e.g. { '00-demo': source }); a lab of the manifest without one is "not written yet".
 */
export function miniLabKit(prefix: string, manifest: string, checks: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), prefix));
  copyTree(join(MINI, 'services'), join(root, 'services'));
  onlyEcho(join(root, 'services', 'compose.yaml'));
  mkdirSync(join(root, 'labs'), { recursive: true });
  writeFileSync(join(root, 'labs', 'manifest.yaml'), manifest);
  // as in the kit: checks.ts files are ES modules
  writeFileSync(join(root, 'package.json'), '{ "type": "module" }\n');
  for (const [dir, source] of Object.entries(checks)) {
    mkdirSync(join(root, 'labs', dir), { recursive: true });
    writeFileSync(join(root, 'labs', dir, 'checks.ts'), source);
  }
  return root;
}
