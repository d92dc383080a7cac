import type { Command } from 'commander';
import { callApi } from '../../control-plane/api-client.js';
import { CliError, color, printJson } from '../output.js';
import { browserUnavailable, openInBrowser } from '../open-browser.js';
import { requireRunning } from '../platform-handle.js';

export function registerDashboard(program: Command): void {
  program
    .command('dashboard')
    .description('the live dashboard: services and instances, request rate, errors and p95 as charts, events, the current lab; prints its URL and opens it in your browser on a desktop')
    .option('--env <name>', 'environment', process.env.TALL_ENV ?? 'default')
    .option('--no-open', 'only print the URL')
    .option('--json', 'print {url, opened, notOpened} as JSON (never opens a browser)')
    .action(async (options: { env: string; open: boolean; json?: boolean }) => {
      const { state } = requireRunning(options.env);
      if (!state.api) throw new CliError('the platform is still starting; try again in a moment');
      const base = `http://127.0.0.1:${state.api.port}/dashboard`;
      // The printed link holds the API token (it opens the dashboard again later, from any browser on this machine).
      const url = `${base}?token=${state.api.token}`;
      const notOpened = options.json ? '--json' : !options.open ? '--no-open' : browserUnavailable();
      let openFailed: string | undefined;
      if (!notOpened) {
        // The browser gets a one-time ticket instead: its command line is visible to every local user in `ps`.
        const { ticket } = await callApi<{ ticket: string }>(state, '/dashboard-ticket');
        openFailed = await openInBrowser(`${base}?token=${ticket}`);
      }
      if (options.json) return printJson({ env: state.env, url, opened: false, notOpened });
      console.log(`dashboard of environment "${state.env}": ${color.bold(url)}`);
      if (!notOpened && !openFailed) console.log(color.dim('opened in your browser; the link is for this machine only (127.0.0.1) and changes with every "tall up"'));
      else console.log(color.dim(`not opened (${openFailed ?? notOpened}): open the link in a browser on this machine`));
    });
}
