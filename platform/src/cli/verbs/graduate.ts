import { readFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import type { Command } from 'commander';
import YAML from 'yaml';
import { ComposeError } from '../../compose/errors.js';
import { UserError } from '../../control-plane/user-error.js';
import type { ProjectSpec } from '../../compose/model.js';
import { parseCompose } from '../../compose/parse-compose.js';
import type { Environment } from '../../environments/environment.js';
import { IN_CLUSTER_ROUTER, kubernetesManifests } from '../../graduation/kubernetes.js';
import { writeKubernetes } from '../../graduation/kubernetes-files.js';
import { deployToSwarm, removeFromSwarm, type SwarmTarget } from '../../graduation/swarm-deploy.js';
import type { Unmapped } from '../../graduation/unmapped.js';
import { CliError, color, printJson, printWarnings, table } from '../output.js';
import { environment } from './config.js';

interface GraduateOptions {
  env: string;
  file?: string;
  json?: boolean;
}

/** `tall graduate`: the same compose file on a real orchestrator. */
export function registerGraduate(program: Command): void {
  const graduate = program.command('graduate').description('take the same compose file to a real orchestrator: a Docker Swarm stack, or Kubernetes manifests');
  graduate
    .command('swarm')
    .description('deploy the compose file to Docker Swarm (docker stack deploy): replicas, healthchecks, update_config, restart policies from the same file; a gateway on 127.0.0.1 routes as tall\'s router does')
    .option('--init', 'if this Docker engine is in no swarm, make it a single-node one (docker swarm init)')
    .option('--remove', 'remove the stack, its gateway and the images built for it instead (docker stack rm); data volumes stay')
    .option('--volumes', 'with --remove: the data services\' volumes too (their data is lost)')
    .option('--port <port>', 'the gateway\'s port on 127.0.0.1', '8085')
    .option('--stack <name>', 'the stack\'s name (default: the compose file\'s project name, and -<env> for an environment other than default)')
    .option('--file <compose>', 'compose file (default services/compose.yaml)')
    .option('--env <name>', 'environment whose variables to use (services/environments/<name>.env)', process.env.TALL_ENV ?? 'default')
    .option('--json', 'print the outcome as JSON')
    .action(async (options: GraduateOptions & { init?: boolean; remove?: boolean; volumes?: boolean; port: string; stack?: string }) => {
      const env = environment(options.env, options.file);
      const name = projectName(env);
      const stack = options.stack ?? (env.name === 'default' ? name : `${name}-${env.name}`);
      if (!/^[a-z0-9][a-z0-9_-]*$/.test(stack)) throw new CliError(`"${stack}" cannot name a stack`, 'use lower-case letters, digits, - and _ (starting with a letter or digit)');
      const target: SwarmTarget = { stack, stateDir: join(env.stateDir, 'swarm', stack), port: Number.parseInt(options.port, 10) };
      const progress = options.json ? () => undefined : (line: string) => console.log(color.dim(line));
      if (options.remove) {
        const outcome = await explained(removeFromSwarm(target, progress, { volumes: options.volumes }));
        if (options.json) return printJson({ stack: target.stack, ...outcome });
        if (!outcome.removed) return console.log(`no stack "${target.stack}" on this swarm; nothing to remove`);
        console.log(color.green(`✔ stack ${target.stack} and its gateway removed`));
        if (outcome.volumes.length > 0) console.log(outcome.volumesRemoved ? `its data volumes removed too: ${outcome.volumes.join(', ')}` : `its data volumes stay: ${outcome.volumes.join(', ')} (--remove --volumes deletes them)`);
        return;
      }
      // The services reach each other through the gateway, as through tall's router.
      const project = readProject(env, 'http://' + target.stack + '-gateway:8080');
      const deployed = await explained(deployToSwarm(project, target, { init: Boolean(options.init), progress }));
      if (options.json) return printJson(deployed);
      printWarnings(project.warnings);
      console.log(color.green(`✔ stack ${deployed.stack} deployed${deployed.initialized ? ' (on a single-node swarm made now)' : ''}: every service runs its replicas`));
      console.log(table([['SERVICE', 'REPLICAS', 'IMAGE'].map(color.bold), ...deployed.services.map((service) => [service.name, service.replicas, service.image])]));
      console.log(`\ngateway: ${deployed.gatewayUrl}/<route>/ (e.g. curl ${deployed.gatewayUrl}/${project.services.find((service) => service.tall.route !== false)?.tall.route || ''}/)`);
      printUnmapped(deployed.unmapped);
      console.log(`\nnext: docker service ls · docker service ps ${deployed.stack}_<service> · docker service scale ${deployed.stack}_<service>=3 · change code and run this again (a rolling update by update_config) · npx tall graduate swarm --remove`);
    });
  graduate
    .command('kubernetes')
    .description('write Kubernetes manifests from the compose file: Deployments with probes, Services, an Ingress, HPAs, ConfigMaps; Secrets made by a script, never written')
    .option('--out <dir>', 'where to write them', 'graduate/kubernetes')
    .option('--registry <host/path>', 'where the images are pushed (image names become <registry>/<project>-<service>:<tag>)', '')
    .option('--tag <tag>', 'the images\' tag', 'v1')
    .option('--router-url <url>', 'how the services reach each other inside the cluster (ROUTER_URL in the compose file)', IN_CLUSTER_ROUTER)
    .option('--file <compose>', 'compose file (default services/compose.yaml)')
    .option('--env <name>', 'environment whose variables to use (services/environments/<name>.env)', process.env.TALL_ENV ?? 'default')
    .option('--json', 'print what was written as JSON')
    .action(async (options: GraduateOptions & { out: string; registry: string; tag: string; routerUrl: string }) => {
      const env = environment(options.env, options.file);
      const project = readProject(env, options.routerUrl);
      const name = projectName(env);
      const output = await explained(Promise.resolve().then(() => kubernetesManifests(project, { project: name, registry: options.registry, tag: options.tag })));
      const out = resolve(options.out);
      const files = writeKubernetes(out, output, env.envFile);
      const objects = output.files.flatMap((file) => file.objects.map((object) => ({ file: `${file.name}.yaml`, kind: object.kind, name: object.metadata?.name ?? '' })));
      if (options.json) return printJson({ out, files, objects, secrets: output.secrets.map((secret) => ({ name: secret.name, keys: secret.keys.map((key) => key.key) })), unmapped: output.unmapped });
      printWarnings(project.warnings);
      console.log(color.green(`✔ ${objects.length} Kubernetes objects for ${project.services.length} services${project.dataServices?.length ? ` and ${project.dataServices.length} data services` : ''} in ${relative(process.cwd(), out) || '.'}/ (each checked against the Kubernetes API schema)`));
      console.log(table([['FILE', 'KIND', 'NAME'].map(color.bold), ...objects.map((object) => [object.file, object.kind, object.name])]));
      printUnmapped(output.unmapped);
      const built = project.services.filter((service) => service.build);
      console.log(`\nnext:`);
      if (built.length > 0) {
        // As tall's docker runtime does: bundle on the host (npm run build), then an image that only copies the bundle.
        console.log(`  build the images${options.registry ? ' and push them' : ' (no --registry: load them into your cluster, e.g. kind load docker-image …)'}:`);
        for (const service of built) {
          const image = `${options.registry ? `${options.registry}/` : ''}${name}-${service.name}:${options.tag}`;
          console.log(`    (cd ${relative(process.cwd(), service.build!.context)} && npm run build) && docker build -t ${image} ${relative(process.cwd(), service.build!.context)}${options.registry ? ` && docker push ${image}` : ''}`);
        }
      }
      console.log(`  ${join(relative(process.cwd(), out) || '.', 'create-secrets.sh')}${env.envFile ? ` ${relative(process.cwd(), env.envFile)}` : ''}   (the Secrets, from the environment file)`);
      console.log(`  kubectl apply -k ${relative(process.cwd(), out) || '.'}`);
    });
}

/** A build or docker command that failed says so as an error with what to look at, not as a stack trace. */
async function explained<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (error) {
    if (error instanceof UserError) throw error;
    throw new CliError((error as Error).message, 'fix what the message names, then run it again; docker service ls and docker service ps <service> --no-trunc show the stack');
  }
}

/** The compose file as `tall up` would read it, with the services reaching each other at `routerUrl`. */
function readProject(env: Environment, routerUrl: string): ProjectSpec {
  try {
    return parseCompose(env.composeFile, { env: { ...env.variables, ...process.env, TALL_ENV: env.name, ROUTER_URL: routerUrl } });
  } catch (error) {
    if (!(error instanceof ComposeError)) throw error;
    printWarnings(error.warnings);
    throw new CliError(error.problems.map((problem) => problem.message).join('\nerror: '), 'fix the compose file; "npx tall config" checks it again without starting anything');
  }
}

/** The compose file's `name:`, else its folder's (Compose's own rule). */
function projectName(env: Environment): string {
  const named = (YAML.parse(readFileSync(env.composeFile, 'utf8')) as { name?: unknown } | null)?.name;
  return typeof named === 'string' && named ? named : basename(dirname(env.composeFile)).toLowerCase();
}

function printUnmapped(unmapped: Unmapped[]): void {
  if (unmapped.length === 0) return;
  console.log(color.yellow(`\nx-tall settings of this file that these objects cannot say (${unmapped.length}):`));
  console.log(table([['SERVICE', 'SETTING', 'IN A REAL CLUSTER'].map(color.bold), ...unmapped.map((item) => [item.service, item.setting, item.instead])]));
}
