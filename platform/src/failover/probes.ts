import http from 'node:http';

export interface ProbeResult {
  ok: boolean;
  detail: string;
}

/**
 * Readiness by HTTP: a 2xx or 3xx answer within the timeout means ready (as in Kubernetes' httpGet probe).
 * With `anyAnswer`, any HTTP answer at all counts: the default for services that declare no probe. A bare TCP connect is
 * not enough, because Docker's port proxy accepts connections before the process inside listens.
 */
export function httpProbe(host: string, port: number, path: string, timeoutMs: number, anyAnswer = false): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const req = http.get({ host, port, path, timeout: timeoutMs, agent: false, headers: { 'user-agent': 'tall-readiness-probe' } }, (res) => {
      res.resume();
      const status = res.statusCode ?? 0;
      const ok = anyAnswer || (status >= 200 && status < 400);
      resolve({ ok, detail: `GET ${path} answered ${res.statusCode}` });
    });
    req.on('timeout', () => {
      req.destroy();
      resolve({ ok: false, detail: `GET ${path} gave no answer within ${timeoutMs} ms` });
    });
    req.on('error', (error) => resolve({ ok: false, detail: `GET ${path} failed: ${error.message}` }));
  });
}

