/**
 * The dashboard in a real browser (playwright-core on the system's Chromium), against the mini system on the process
 * runtime: who may open it, every instance shown, charts that move under load, a killed instance's crash shown within
 * seconds. The last screenshot is written to .tall/artifacts/dashboard.png for people to look at.
 */
import http from 'node:http';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findChromium, launchChromium } from '../../src/slides/chromium.js';
import { freePort } from '../../src/util/ports.js';
import { generateLoad } from '../support/load.js';
import { REPO, TallSandbox, waitFor } from '../support/tall-cli.js';

const chromiumPath = findChromium();
if (!chromiumPath) console.warn('SKIPPED the dashboard\'s browser test: no Chromium found (.ci/install-browser.sh, or set TALL_CHROMIUM)');
export const SCREENSHOT = join(REPO, '.tall', 'artifacts', 'dashboard.png');

/** A GET with a Host header of our choosing (fetch may not set one). */
function getWithHost(url: string, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    http.get(url, { headers: { host } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    }).on('error', reject);
  });
}

describe.skipIf(!chromiumPath)('the dashboard in headless Chromium (process runtime)', () => {
  const tall = new TallSandbox();
  let browser: Browser;
  let page: Page;
  let url: string;
  let base: string;
  let token: string;
  let router: string;
  const problems: string[] = [];

  beforeAll(async () => {
    tall.extraEnv.TALL_PORT = String(await freePort());
    const up = await tall.run(['up', '--runtime', 'process']);
    expect(up.code, up.stderr).toBe(0);
    router = (await tall.json<{ routerUrl: string }>(['ps'])).routerUrl;
    url = (await tall.json<{ url: string }>(['dashboard'])).url;
    [base, token] = url.split('?token=') as [string, string];
    browser = await launchChromium(chromiumPath);
    page = await (await browser.newContext({ viewport: { width: 1400, height: 900 } })).newPage();
    page.on('console', (message) => message.type() === 'error' && problems.push(`console error: ${message.text()}`));
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('request', (request) => {
      if (!request.url().startsWith('http://127.0.0.1:') && !request.url().startsWith('data:')) problems.push(`request off this machine: ${request.url()}`);
    });
  });
  afterAll(async () => {
    await browser?.close();
    await tall.run(['down']);
  });

  it('prints its URL (127.0.0.1, with the token) and opens no browser in CI or without a desktop', async () => {
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/dashboard\?token=[0-9a-f]{48}$/);
    const headless = await tall.run(['dashboard'], { CI: '', DISPLAY: '', WAYLAND_DISPLAY: '', SSH_CONNECTION: '', SSH_TTY: '' });
    expect(headless.stdout).toContain(url);
    expect(process.platform === 'linux' ? headless.stdout : 'no desktop here').toContain('no desktop here');
    const ci = await tall.run(['dashboard'], { CI: 'true', DISPLAY: ':0' });
    expect(ci.stdout).toContain('not opened (running in CI)');
    const asked = await tall.run(['dashboard', '--no-open'], { CI: '', DISPLAY: ':0' });
    expect(asked.stdout).toContain('not opened (--no-open)');
  });

  it('exchanges the token for an HttpOnly cookie (not the token itself), answers only as 127.0.0.1, and shows no credential', async () => {
    expect((await fetch(base)).status).toBe(401);
    expect((await fetch(`${base}?token=${'0'.repeat(48)}`)).status).toBe(401);
    const exchanged = await fetch(url, { redirect: 'manual' });
    expect(exchanged.status).toBe(303);
    expect(exchanged.headers.get('location')).toBe('/dashboard');
    const cookie = exchanged.headers.get('set-cookie')!;
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    expect(cookie).not.toContain(token);
    // The cookie reads the dashboard and does nothing else: the API still wants the token.
    const session = cookie.split(';')[0]!;
    expect((await fetch(`${base}/view`, { headers: { cookie: session } })).status).toBe(200);
    expect((await fetch(base.replace('/dashboard', '/kill'), { method: 'POST', headers: { cookie: session }, body: '{"service":"echo"}' })).status).toBe(401);
    // What `tall dashboard` opens a browser with: a ticket from the API (token needed), good once.
    const state = JSON.parse(readFileSync(join(tall.stateDir, 'default', 'state.json'), 'utf8')) as { api: { port: number; token: string } };
    const { ticket } = await (await fetch(`http://127.0.0.1:${state.api.port}/dashboard-ticket`, { method: 'POST', headers: { authorization: `Bearer ${token}` } })).json() as { ticket: string };
    expect(ticket).not.toBe(token);
    expect((await fetch(`${base}?token=${ticket}`, { redirect: 'manual' })).status).toBe(303);
    expect((await fetch(`${base}?token=${ticket}`, { redirect: 'manual' })).status).toBe(401);
    // DNS rebinding: a page of another name that resolves to 127.0.0.1 is refused.
    expect(await getWithHost(base, 'attacker.example')).toBe(403);

    await page.goto(url);
    await page.waitForSelector('body[data-ready="yes"]');
    expect(page.url()).toBe(base);
    const cookies = await page.context().cookies();
    expect(cookies).toHaveLength(1);
    expect(cookies[0]).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/dashboard' });
    expect(await page.evaluate(() => document.cookie)).toBe('');
    expect(await page.content()).not.toContain(token);
    expect(await (await fetch(`${base}/view`, { headers: { cookie: session } })).text()).not.toContain(token);
  });

  it('shows every instance with its state, readiness and restarts, and "none" for data services', async () => {
    for (const id of ['echo/1', 'echo/2', 'slow/1']) {
      const row = page.locator(`#instances tr[data-instance="${id}"]`);
      await row.waitFor();
      expect(await row.getAttribute('data-state')).toBe('running');
      expect(await row.getAttribute('data-ready')).toBe('true');
      expect(await row.getAttribute('data-restarts')).toBe('0');
    }
    expect(await page.locator('#data-services').textContent()).toMatch(/^none/);
    expect(await page.locator('#lab').textContent()).toMatch(/Lab \d\d/);
  });

  it('moves the charts under load: request rate and p95 of the service that gets it', async () => {
    const pointsBefore = Number(await page.locator('figure[data-chart="rate"]').getAttribute('data-points'));
    const load = generateLoad(`${router}/echo/`, 100, 8);
    await page.waitForFunction(() => {
      const last = JSON.parse(document.querySelector('figure[data-chart="rate"]')?.getAttribute('data-last') ?? '{}') as Record<string, number>;
      return (last.echo ?? 0) > 5;
    }, undefined, { timeout: 15_000 });
    const result = await load;
    expect(result.requests).toBeGreaterThan(0);
    expect(Number(await page.locator('figure[data-chart="rate"]').getAttribute('data-points'))).toBeGreaterThan(pointsBefore);
    const p95 = JSON.parse((await page.locator('figure[data-chart="p95"]').getAttribute('data-last'))!) as Record<string, number | null>;
    expect(p95.echo).toBeGreaterThan(0);
    expect(Number(await page.locator('#services tr[data-service="echo"] td.rate').textContent())).toBeGreaterThan(0);
    // The chart is drawn (uPlot's canvas), not only its numbers.
    expect(await page.locator('figure[data-chart="rate"] canvas').count()).toBe(1);
  });

  it('shows active chaos live, and its end', async () => {
    const started = await tall.run(['chaos', 'latency', 'echo', '100ms', '--percent', '10', '--for', '1m']);
    expect(started.code, started.stderr).toBe(0);
    const row = page.locator('#chaos [data-chaos="latency echo"]');
    await row.waitFor({ timeout: 10_000 });
    expect(await row.textContent()).toMatch(/100 ms on 10 %.*left/);
    await page.locator('#events li[data-type="chaos"]').first().waitFor({ timeout: 10_000 });
    expect((await tall.run(['chaos', 'stop'])).code).toBe(0);
    await page.locator('#chaos', { hasText: /^none$/ }).waitFor({ timeout: 10_000 });
  });

  it('shows a killed instance\'s crash within a few seconds, live (no reload)', async () => {
    const kill = await tall.run(['kill', 'echo/1']);
    expect(kill.code, kill.stderr).toBe(0);
    const killedAt = Date.now();
    await page.locator('#events li[data-type="crashed"]', { hasText: 'echo/1' }).waitFor({ timeout: 10_000 });
    const seenAfterMs = Date.now() - killedAt;
    await waitFor('echo/1 restarted on the page', async () => (await page.locator('#instances tr[data-instance="echo/1"]').getAttribute('data-restarts')) === '1' || undefined, 15_000);
    console.log(`the crash of echo/1 appeared on the dashboard ${seenAfterMs} ms after "tall kill" returned`);
    mkdirSync(join(REPO, '.tall', 'artifacts'), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    console.log(`dashboard screenshot: ${SCREENSHOT}`);
    expect(problems).toEqual([]);
  });
});
