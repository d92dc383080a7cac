/**
 * What a graded compose file may not ask for. The student writes services/compose.yaml, and the platform runs it with
 * the host's Docker and reads the files it names: a privileged container, the host's network, a bind mount, or an
 * env_file or build context outside services/ would each undo the containment (or read the solutions through the
 * platform itself). Graded only; a learner's own platform runs what they write.
 */
import { isAbsolute, relative, resolve } from 'node:path';

export interface PolicyProblem {
  path: (string | number)[];
  message: string;
}

const FORBIDDEN_SERVICE_FIELDS: Record<string, string> = {
  privileged: 'a privileged container owns the host',
  cap_add: 'extra kernel capabilities',
  devices: "the host's devices",
  device_cgroup_rules: "the host's devices",
  network_mode: 'a network other than the project\'s own',
  pid: "the host's processes",
  ipc: "another IPC namespace",
  uts: "the host's UTS namespace",
  userns_mode: 'the host user namespace',
  security_opt: 'security options (grading sets its own)',
  cgroup_parent: 'a cgroup outside the limits',
  sysctls: 'kernel settings',
  volumes_from: "another container's files",
  extends: 'a service from another file',
};
const FORBIDDEN_BUILD_FIELDS = ['network', 'extra_hosts', 'privileged', 'additional_contexts', 'secrets', 'ssh', 'entitlements'];

/**
 * Every forbidden field of the (interpolated) document, with where it is. Relative paths are the compose file's
 * (`composeDir`), and must land inside `servicesDir` (the same folder, except for a variant a check wrote elsewhere).
 */
export function containedComposeProblems(document: Record<string, unknown>, composeDir: string, servicesDir = composeDir): PolicyProblem[] {
  const problems: PolicyProblem[] = [];
  const refuse = (path: (string | number)[], why: string) => problems.push({ path, message: `${path.join('.')} is not allowed when grading (${why}); remove it` });
  const inside = (path: (string | number)[], value: unknown) => {
    if (typeof value !== 'string') return;
    const target = resolve(composeDir, value);
    const outside = relative(servicesDir, target);
    if (outside.startsWith('..') || isAbsolute(outside)) refuse(path, `"${value}" is outside services/`);
  };
  for (const field of ['include']) if (field in document) refuse([field], 'files from outside this compose file');
  for (const [kind, entries] of [['volumes', document.volumes], ['networks', document.networks], ['secrets', document.secrets], ['configs', document.configs]] as const) {
    for (const [name, entry] of Object.entries(asRecord(entries))) {
      const spec = asRecord(entry);
      if (spec.external) refuse([kind, name, 'external'], `an ${kind.slice(0, -1)} from outside the project`);
      if (spec.driver_opts) refuse([kind, name, 'driver_opts'], 'driver options can mount host folders');
      if (spec.driver && kind === 'networks' && spec.driver !== 'bridge') refuse([kind, name, 'driver'], 'only bridge networks');
      inside([kind, name, 'file'], spec.file);
    }
  }
  for (const [name, entry] of Object.entries(asRecord(document.services))) {
    const service = asRecord(entry);
    const at = (...path: (string | number)[]) => ['services', name, ...path];
    for (const [field, why] of Object.entries(FORBIDDEN_SERVICE_FIELDS)) if (field in service) refuse(at(field), why);
    const build = typeof service.build === 'string' ? { context: service.build } : asRecord(service.build);
    if (service.build !== undefined) {
      inside(at('build', 'context'), build.context ?? '.');
      if (typeof build.dockerfile === 'string') inside(at('build', 'dockerfile'), resolve(composeDir, String(build.context ?? '.'), build.dockerfile));
      for (const field of FORBIDDEN_BUILD_FIELDS) if (field in build) refuse(at('build', field), 'build settings grading sets itself');
    }
    const envFiles = Array.isArray(service.env_file) ? service.env_file : service.env_file === undefined ? [] : [service.env_file];
    envFiles.forEach((file, n) => inside(at('env_file', n), typeof file === 'string' ? file : asRecord(file).path));
    (Array.isArray(service.volumes) ? service.volumes : []).forEach((volume, n) => {
      if (mountsHostFolder(volume)) refuse(at('volumes', n), 'a folder of the host mounted in');
    });
  }
  return problems;
}

function asRecord(value: unknown): Record<string, unknown> {
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

/** A bind mount: "./x:/y", "/x:/y", "~/x:/y", or the long form with type bind (named volumes, tmpfs and anonymous ones are fine). */
function mountsHostFolder(volume: unknown): boolean {
  if (typeof volume === 'string') return volume.includes(':') && /^[./~]/.test(volume);
  const type = asRecord(volume).type;
  return type !== 'volume' && type !== 'tmpfs';
}
