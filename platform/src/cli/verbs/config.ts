import type { Command } from 'commander';
import YAML from 'yaml';
import { ComposeError } from '../../compose/errors.js';
import type { ProjectSpec } from '../../compose/model.js';
import { parseCompose } from '../../compose/parse-compose.js';
import { findRoot, requestedRouterPort, resolveEnvironment, type Environment } from '../../environments/environment.js';
import { PlatformClient } from '../../control-plane/platform-client.js';
import { CliError, color, printJson, printWarnings } from '../output.js';

/**
 * `tall config`: the compose file as `tall up` would read it — interpolated with the environment's variables, checked —
 * printed as the services the platform would start, or every problem found. Starts nothing (like `docker compose config`).
 */
export function registerConfig(program: Command): void {
  program
    .command('config')
    .description('check the compose file and print the services "up" would start, resolved (variables, defaults, anchors); starts nothing')
    .option('--file <compose>', 'compose file (default services/compose.yaml)')
    .option('--env <name>', 'environment whose variables to use (services/environments/<name>.env; your shell wins)', process.env.TALL_ENV ?? 'default')
    .option('--json', 'print as JSON: { ok, file, services, warnings } or { ok: false, errors, warnings }')
    .action((options: { file?: string; env: string; json?: boolean }) => {
      const env = environment(options.env, options.file);
      const routerUrl = routerUrlOf(env);
      let project: ProjectSpec;
      try {
        project = parseCompose(env.composeFile, { env: { ...env.variables, ...process.env, TALL_ENV: env.name, ROUTER_URL: routerUrl } });
      } catch (error) {
        if (!(error instanceof ComposeError)) throw error;
        if (options.json) {
          printJson({
            ok: false,
            file: env.composeFile,
            env: env.name,
            errors: error.problems.map((problem) => ({ file: problem.file, line: problem.line, column: problem.column, message: problem.detail })),
            warnings: error.warnings,
          });
          process.exitCode = 1;
          return;
        }
        printWarnings(error.warnings);
        throw new CliError(error.problems.map((problem) => problem.message).join('\nerror: '), `fix the compose file; "npx tall config" checks it again without starting anything`);
      }
      if (options.json) {
        printJson({ ok: true, file: project.file, env: env.name, routerUrl, services: project.services, dataServices: project.dataServices ?? [], warnings: project.warnings });
        return;
      }
      printWarnings(project.warnings);
      const services = Object.fromEntries(project.services.map(({ name, ...spec }) => [name, spec]));
      console.log(color.dim(`# ${env.composeFile}, environment "${env.name}", ROUTER_URL=${routerUrl}: ${project.services.length} service${project.services.length === 1 ? '' : 's'}`));
      // Data-service instances `up` provisions (top-level x-tall.services); each service's x-tall.bind is in its settings.
      const dataServices = Object.fromEntries((project.dataServices ?? []).map(({ name, ...declared }) => [name, declared]));
      const document = new YAML.Document(Object.keys(dataServices).length > 0 ? { 'x-tall': { services: dataServices }, services } : { services });
      // Lists of words (commands, healthcheck tests) read best on one line, as they are usually written.
      YAML.visit(document, { Seq: (_key, node) => void (node.flow = node.items.every(YAML.isScalar)) });
      process.stdout.write(document.toString({ lineWidth: 0 }));
    });
}

/** The environment a command that starts nothing reads the compose file in (a file outside the kit can still be read). */
export function environment(name: string, file?: string): Environment {
  try {
    let root: string;
    try {
      root = findRoot();
    } catch (error) {
      // A file outside the kit can still be checked; the root only says where state would be kept.
      if (!file) throw error;
      root = process.cwd();
    }
    return resolveEnvironment(name, root, file);
  } catch (error) {
    throw new CliError((error as Error).message);
  }
}

/** The running platform's router, else the port `up` would ask for, else a placeholder (the port is picked at start). */
function routerUrlOf(env: Environment): string {
  const running = new PlatformClient(env).running();
  if (running?.routerUrl) return running.routerUrl;
  return `http://127.0.0.1:${requestedRouterPort(env) ?? '<router port>'}`;
}
