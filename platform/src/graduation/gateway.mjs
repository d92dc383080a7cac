// The stack's way in: what tall's router does for the shop on one machine, here in a container on the stack's overlay
// network. /<route>/rest goes to http://<task>:<port>/rest, round-robin over the tasks Swarm's DNS lists for the service
// (tasks.<service>: the running, healthy ones; the stack's services use DNS round-robin, no virtual IP).
// Dependency-free on purpose: it runs in the plain Node base image, mounted read-only.
import dns from 'node:dns/promises';
import http from 'node:http';

const port = Number(process.env.PORT ?? 8080);
// ROUTES=catalog=catalog:3000,orders=orders:3000
const routes = new Map((process.env.ROUTES ?? '').split(',').filter(Boolean).map((entry) => {
  const [route, target] = entry.split('=');
  return [route, target];
}));
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']);

let turn = 0;

async function pick(service) {
  const tasks = await dns.lookup(`tasks.${service}`, { all: true }).catch(() => []);
  if (tasks.length === 0) throw new Error(`no task of ${service} is running and healthy`);
  return tasks[turn++ % tasks.length].address;
}

async function forward(req, res, target, rest, body, triesLeft) {
  const [service, targetPort] = target.split(':');
  let address;
  try {
    address = await pick(service);
  } catch (error) {
    return fail(req, res, target, rest, body, triesLeft, error);
  }
  // A new connection per request: one kept alive to a task that is being replaced would outlive it.
  const upstream = http.request({ host: address, port: Number(targetPort), path: rest, method: req.method, headers: { ...req.headers, host: target, connection: 'close' }, agent: false, timeout: 30_000 }, (answer) => {
    res.writeHead(answer.statusCode ?? 502, answer.headers);
    answer.pipe(res);
  });
  upstream.on('timeout', () => upstream.destroy(new Error('no answer within 30 s')));
  upstream.on('error', (error) => fail(req, res, target, rest, body, triesLeft, error));
  upstream.end(body);
}

// The request never reached a task: repeating it is safe whatever its method (Envoy's retry_on: connect-failure).
const NOT_CONNECTED = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

function fail(req, res, target, rest, body, triesLeft, error) {
  // A task that went away between the choice and the connection: another one, for requests that are safe to repeat.
  const safe = IDEMPOTENT.has(req.method) || NOT_CONNECTED.has(error.code) || /^no task of/.test(error.message);
  if (!res.headersSent && triesLeft > 0 && safe) return setTimeout(() => forward(req, res, target, rest, body, triesLeft - 1), 200);
  if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ error: `gateway: ${target} did not answer: ${error.message}` }));
}

http.createServer((req, res) => {
  const [, route = '', ...rest] = (req.url ?? '/').split('/');
  const target = routes.get(route);
  if (!target) {
    res.writeHead(404, { 'content-type': 'application/json' });
    return res.end(JSON.stringify({ error: `no route "/${route}"`, routes: [...routes.keys()] }));
  }
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => forward(req, res, target, `/${rest.join('/')}`, Buffer.concat(chunks), 3));
}).listen(port, '0.0.0.0', () => console.log(`gateway listening on :${port}: ${[...routes].map(([route, target]) => `/${route} -> ${target}`).join(', ')}`));

process.on('SIGTERM', () => process.exit(0));
