import { existsSync, readFileSync } from 'node:fs';
import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { parsePort, registerSlidesCommand, slidesIo } from '../../src/slides/command.js';
import { PortInUseError, startSlidesServer, type SlidesServer } from '../../src/slides/server.js';
import { scratchKit, type ScratchKit } from './helpers.js';

const DECK = {
  'slides/01-a.md': '# Start {#start}\n\n[Lab 03](../labs/03-routing-and-load-balancing/README.md)\n\n::: notes\nn\n:::\n\n---\n\n## Second {#second}\n\nold text\n',
};

let kit: ScratchKit | undefined;
let server: SlidesServer | undefined;
const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  await server?.close();
  server = undefined;
  kit?.remove();
  kit = undefined;
  for (const c of cleanups.splice(0)) await c();
  vi.restoreAllMocks();
  process.exitCode = undefined;
});

function get(url: string): Promise<{ status: number; type: string; body: string }> {
  return fetch(url).then(async (res) => ({ status: res.status, type: res.headers.get('content-type') ?? '', body: await res.text() }));
}

describe('tall slides: the server', () => {
  it('serves the deck on 127.0.0.1 only', async () => {
    kit = scratchKit(DECK);
    server = await startSlidesServer({ root: kit.root, port: 0, watch: false });
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const page = await get(server.url);
    expect(page.status).toBe(200);
    expect(page.type).toBe('text/html; charset=utf-8');
    expect(page.body).toContain('data-id="second"');
    expect(page.body).toContain('"live":"/__live"');
    expect((await get(`${server.url}nothing-here`)).status).toBe(404);
    expect((await get(`${server.url}labs/../labs/manifest.yaml`)).status).toBe(404);
  });

  it('renders lab pages: a placeholder until the README exists, then the README with its link back', async () => {
    kit = scratchKit(DECK);
    server = await startSlidesServer({ root: kit.root, port: 0, watch: false });
    const placeholder = await get(`${server.url}labs/03-routing-and-load-balancing/README.html`);
    expect(placeholder.status).toBe(200);
    expect(placeholder.body).toContain("This lab's README is not written yet");
    expect(placeholder.body).toContain('href="../../index.html"');

    kit.write('labs/03-routing-and-load-balancing/README.md', '# Lab 03\n\nBack to [the slide](../../slides/01-a.md#second).\n');
    const page = await get(`${server.url}labs/03-routing-and-load-balancing/README.html`);
    expect(page.body).toContain('<h1>Lab 03</h1>');
    expect(page.body).toContain('<a href="../../index.html#second">the slide</a>');
    expect((await get(`${server.url}labs/99-nope/README.html`)).status).toBe(404);
  });

  it('tells open pages to reload when a markdown file changes, and serves the new content', async () => {
    kit = scratchKit(DECK);
    server = await startSlidesServer({ root: kit.root, port: 0 });
    const events: string[] = [];
    const req = http.get(`${server.url}__live`, (res) => {
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => events.push(chunk));
    });
    req.on('error', () => {});
    cleanups.push(() => req.destroy());
    await vi.waitFor(() => expect(events.join('')).toContain('retry:'), { timeout: 5000 });
    const rebuilt = new Promise((resolve) => server!.once('rebuilt', resolve));
    kit.write('slides/01-a.md', DECK['slides/01-a.md'].replace('old text', 'new text'));
    await rebuilt;
    await vi.waitFor(() => expect(events.join('')).toMatch(/event: reload\ndata: \{"reason":"slides\/01-a\.md"\}/), { timeout: 5000 });
    expect((await get(server.url)).body).toContain('new text');
  });

  it('says clearly when the port is in use', async () => {
    kit = scratchKit(DECK);
    const blocker = http.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise((resolve) => blocker.close(resolve)));
    const port = (blocker.address() as { port: number }).port;
    await expect(startSlidesServer({ root: kit.root, port, watch: false })).rejects.toThrow(PortInUseError);
    await expect(startSlidesServer({ root: kit.root, port, watch: false })).rejects.toThrow(
      `port ${port} on 127.0.0.1 is already in use (is \`tall slides\` already running?). Use another one: tall slides --port ${port + 1}, or set TALL_SLIDES_PORT.`,
    );
  });
});

/** Runs `tall slides ...` in-process against a kit, capturing what it prints. */
async function runCommand(root: string, args: string[], env: Record<string, string> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  vi.spyOn(slidesIo, 'out').mockImplementation((t) => void out.push(t));
  vi.spyOn(slidesIo, 'err').mockImplementation((t) => void err.push(t));
  for (const [k, v] of Object.entries({ TALL_ROOT: root, ...env })) vi.stubEnv(k, v);
  cleanups.push(() => vi.unstubAllEnvs());
  const program = new Command('tall').exitOverride();
  registerSlidesCommand(program);
  await program.parseAsync(['slides', ...args], { from: 'user' });
  return { out: out.join(''), err: err.join(''), exitCode: process.exitCode ?? 0 };
}

describe('tall slides: the command', () => {
  it('--export DIR --json writes a self-contained site and prints the result', async () => {
    kit = scratchKit({ ...DECK, 'slides/02-b.md': '## Broken\n\n::: nonsense\nx\n:::\n' });
    const dir = mkdtempSync(path.join(tmpdir(), 'tall-export-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const run = await runCommand(kit.root, ['--export', dir, '--json']);
    expect(run.exitCode).toBe(0);
    const result = JSON.parse(run.out);
    expect(result).toMatchObject({
      ok: true,
      slides: 3,
      export: { dir, index: path.join(dir, 'index.html'), files: ['index.html', 'labs/00-get-tall/README.html', 'labs/03-routing-and-load-balancing/README.html'] },
      warnings: [{ file: 'slides/02-b.md', line: 3, message: expect.stringContaining('unknown directive "::: nonsense"') }],
    });
    const html = readFileSync(path.join(dir, 'index.html'), 'utf8');
    expect(html).toContain('href="labs/03-routing-and-load-balancing/README.html"');
    expect(html).not.toContain('/__live');
  });

  it('--track cuts the export to the track, says so, and puts it in --json; an unknown track lists the known ones', async () => {
    kit = scratchKit({
      ...DECK,
      'slides/tracks/short.yaml': 'title: Short\nparts:\n  - title: Only\n    minutes: 5\n    slides: [second]\n',
      'slides/tracks/self-paced.yaml': 'title: Alone\nparts:\n  - title: All, second first\n    slides: [second, 01-a.md]\n',
    });
    const dir = mkdtempSync(path.join(tmpdir(), 'tall-export-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const json = await runCommand(kit.root, ['--export', dir, '--track', 'short', '--json']);
    expect(json.exitCode).toBe(0);
    expect(JSON.parse(json.out)).toMatchObject({ ok: true, slides: 1, track: { name: 'short', title: 'Short', slides: 1, minutes: 5, parts: [{ title: 'Only', minutes: 5, slides: 1 }] } });
    expect(readFileSync(path.join(dir, 'index.html'), 'utf8')).toContain('data-id="second"');
    expect(readFileSync(path.join(dir, 'index.html'), 'utf8')).not.toContain('data-id="start"');
    const text = await runCommand(kit.root, ['--export', dir, '--track', 'short']);
    expect(text.out).toContain('track short ("Short"): 1 slides, 5 minutes planned in 1 parts');
    const unknown = await runCommand(kit.root, ['--export', dir, '--track', 'long']);
    expect(unknown.exitCode).toBe(1);
    expect(unknown.err).toBe('tall slides: no track "long"; the tracks are self-paced, short\n');
    // without --track: the self-paced track, every slide in its order
    const plain = await runCommand(kit.root, ['--export', dir, '--json']);
    expect(JSON.parse(plain.out)).toMatchObject({ slides: 2, track: { name: 'self-paced' } });
    const html = readFileSync(path.join(dir, 'index.html'), 'utf8');
    expect(html.indexOf('data-id="second"')).toBeLessThan(html.indexOf('data-id="start"'));
  });

  it('--export without --json prints warnings as file:line on stderr', async () => {
    kit = scratchKit({ 'slides/01.md': '## A\n\n![gone](nope.svg)\n' });
    const dir = mkdtempSync(path.join(tmpdir(), 'tall-export-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const run = await runCommand(kit.root, ['--export', dir]);
    expect(run.exitCode).toBe(0);
    expect(run.err).toBe('slides/01.md:3: warning: missing image nope.svg (looked for slides/nope.svg)\n');
    expect(run.out).toContain(`exported 1 slides and 2 lab pages to ${dir}`);
    expect(existsSync(path.join(dir, 'index.html'))).toBe(true);
  });

  it('--export refuses to write into the kit\'s own content', async () => {
    kit = scratchKit(DECK);
    const run = await runCommand(kit.root, ['--export', path.join(kit.root, 'slides', 'out')]);
    expect(run.exitCode).toBe(1);
    expect(run.err).toMatch(/^tall slides: will not export into .*slides\/out: it is \(inside\) the kit's own content/);
  });

  it('--pdf without a browser says what to do instead', async () => {
    kit = scratchKit(DECK);
    const run = await runCommand(kit.root, ['--pdf', path.join(kit.root, 'deck.pdf'), '--json'], { TALL_CHROMIUM: '/nonexistent/chromium' });
    expect(run.exitCode).toBe(1);
    const result = JSON.parse(run.out);
    expect(result.ok).toBe(false);
    expect(result.error).toContain('TALL_CHROMIUM=/nonexistent/chromium does not exist.');
    expect(result.error).toContain('tall slides --export DIR');
  });

  it('serving on a busy port exits 1 with a clear message', async () => {
    kit = scratchKit(DECK);
    const blocker = http.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise((resolve) => blocker.close(resolve)));
    const port = (blocker.address() as { port: number }).port;
    const run = await runCommand(kit.root, ['--port', String(port), '--no-open']);
    expect(run.exitCode).toBe(1);
    expect(run.err).toContain(`tall slides: port ${port} on 127.0.0.1 is already in use`);
  });

  it('takes the port from --port, else TALL_SLIDES_PORT, else 8090', () => {
    vi.stubEnv('TALL_SLIDES_PORT', '');
    delete process.env.TALL_SLIDES_PORT;
    expect(parsePort(undefined)).toBe(8090);
    expect(parsePort('9001')).toBe(9001);
    vi.stubEnv('TALL_SLIDES_PORT', '9002');
    expect(parsePort(undefined)).toBe(9002);
    vi.unstubAllEnvs();
    expect(() => parsePort('eighty')).toThrow('invalid port "eighty"');
    expect(() => parsePort('70000')).toThrow('invalid port "70000"');
  });
});
