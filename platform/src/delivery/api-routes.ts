import type { ApiHandler } from '../control-plane/api-server.js';
import type { Deployer } from './deployer.js';

/** The control plane's API for `tall deploy` and `tall rollback`. */
/** Build output and steps go to the platform's log (`tall logs`); the CLI follows the events meanwhile. */
export function deliveryRoutes(deployer: Deployer, log: (line: string) => void): Record<string, ApiHandler> {
  const timeout = (body: Record<string, unknown>) => (body.readyTimeoutMs === undefined ? {} : { readyTimeoutMs: Number(body.readyTimeoutMs) });
  return {
    'POST /deploy': async (body) => deployer.deploy(String(body.service), timeout(body), log),
    'POST /rollback': async (body) => deployer.rollback(String(body.service), timeout(body), log),
    'POST /deploy-history': async (body) => deployer.history(String(body.service)),
  };
}
