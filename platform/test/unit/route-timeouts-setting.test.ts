import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCompose } from '../../src/compose/parse-compose.js';
import { DEFAULT_TIMEOUTS, routeSettings } from '../../src/routing/route-settings.js';

function composeFile(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'compose-'));
  writeFileSync(join(dir, 'compose.yaml'), text);
  return join(dir, 'compose.yaml');
}

describe('x-tall.timeouts', () => {
  it('overrides the router defaults per service; hedge_after: false turns hedging off', () => {
    const project = parseCompose(composeFile(`
services:
  slow:
    image: node
    x-tall:
      timeouts: { connect: 500ms, headers: 2m, idle: 45s, hedge_after: false }
  plain:
    image: node
`));
    const [slow, plain] = project.services;
    expect(slow!.tall.timeouts).toEqual({ connectMs: 500, headersMs: 120_000, idleMs: 45_000, hedgeAfterMs: false });
    expect(routeSettings('round-robin', plain!.tall.timeouts).timeouts).toEqual(DEFAULT_TIMEOUTS);
    expect(routeSettings('round-robin', slow!.tall.timeouts).timeouts.headersMs).toBe(120_000);
  });

  it('names the line of a timeout that is not a duration', () => {
    expect(() => parseCompose(composeFile(`
services:
  slow:
    image: node
    x-tall:
      timeouts:
        headers: soon
`))).toThrow(/compose.yaml:7.*"soon" is not a duration/);
  });
});
