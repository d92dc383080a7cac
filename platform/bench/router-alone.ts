/**
 * The router on its own, in a process of its own (as in its thread in the control plane, with monitoring on and an
 * access log), routing /echo/ to one upstream: what router-ceiling.ts measures and profiles (node --cpu-prof).
 * Usage: tsx router-alone.ts <port> <upstream host:port> [access-log-file|-]
 */
import { Router } from '../src/routing/router.js';
import { DEFAULT_LIMITS } from '../src/monitoring/log-limits.js';
import { RotatingJsonl } from '../src/monitoring/rotating-jsonl.js';
import { ACCESS_LINGER_MS } from '../src/routing/router-thread.js';

const [port, upstream, accessFile] = process.argv.slice(2);
const monitoring = process.env.TALL_ROUTER_MONITORING !== 'off';
const access = monitoring && accessFile && accessFile !== '-' ? new RotatingJsonl(accessFile, DEFAULT_LIMITS.logs, undefined, ACCESS_LINGER_MS) : undefined;
const router = new Router({ hosts: ['127.0.0.1'], port: Number(port), monitoring, onAccess: access ? (entry) => access.write(JSON.stringify(entry)) : undefined });
router.declare('echo');
const [host, upstreamPort] = upstream!.split(':');
router.setMember('echo', { id: 'echo/1', host: host!, port: Number(upstreamPort) }, true);
await router.listen();
process.send?.('listening');
const stop = async () => {
  await router.close();
  await access?.close();
  process.exit(0); // a normal exit, so --cpu-prof writes its profile
};
process.on('SIGTERM', () => void stop());
process.on('disconnect', () => void stop());
