import { readFileSync } from 'node:fs';
import { UserError } from '../../control-plane/user-error.js';

/**
 * Which image the kit's Dockerfiles build FROM. The common classroom is a laptop with Docker Desktop and internet, where
 * only the public image can exist (a host-built image needs a Linux host); a machine no registry answers gets the image
 * built from its own files instead. One rule for every base image the kit ships (Node now, PostgreSQL later).
 */
export interface BaseImageRule {
  /** in messages: "this machine's Node" */
  what: string;
  /** the compose file's interpolation variable that carries the choice; set by the user (shell or env file), it wins */
  variable: string;
  publicImage: string;
  hostImage: string;
  /** build-host-images.sh's argument for this image, and the variable that names the image it builds */
  hostBuild: { target: string; nameVariable: string };
}

export function nodeBaseImage(env: NodeJS.ProcessEnv = process.env): BaseImageRule {
  return {
    what: 'Node',
    variable: 'TALL_NODE_IMAGE',
    // Both names are settable so tests can stand in for a registry with local tags (no registry answers in CI).
    publicImage: env.TALL_PUBLIC_NODE_IMAGE || 'node:20-slim',
    hostImage: env.TALL_HOST_NODE_IMAGE || 'tall/node:20',
    hostBuild: { target: 'node', nameVariable: 'TALL_NODE_IMAGE_NAME' },
  };
}

/** The data services' PostgreSQL (data-services/docker-postgres.ts): postgres:15, or offline the host-built tall/postgres:15. */
export function postgresBaseImage(env: NodeJS.ProcessEnv = process.env): BaseImageRule {
  return {
    what: 'PostgreSQL',
    variable: 'TALL_POSTGRES_IMAGE',
    publicImage: env.TALL_PUBLIC_POSTGRES_IMAGE || 'postgres:15',
    hostImage: env.TALL_HOST_POSTGRES_IMAGE || 'tall/postgres:15',
    hostBuild: { target: 'postgres', nameVariable: 'TALL_POSTGRES_IMAGE_NAME' },
  };
}

export type PullOutcome = { ok: true; seconds: number } | { ok: false; reason: string; registryAnswered: boolean };
export type HostBuildability = { possible: true } | { possible: false; why: string; fix?: string };
export type HostBuildOutcome = { ok: true; seconds: number } | { ok: false; reason: string };

/** The engine's images, as the rule needs them (docker-images.ts; a fake in unit tests). */
export interface ImageStore {
  has(image: string): Promise<boolean>;
  /** `docker pull`, given up on quickly when no registry answers */
  pull(image: string, progress: (line: string) => void): Promise<PullOutcome>;
  canBuildHost(rule: BaseImageRule): HostBuildability;
  buildHost(rule: BaseImageRule, progress: (line: string) => void): Promise<HostBuildOutcome>;
}

export interface BaseImageChoice {
  image: string;
  /** the progress line of `tall up`: which image, and why */
  line: string;
}

/** No base image could be had: what is wrong and what to do, never a build log. */
export class BaseImageError extends UserError {
  constructor(
    readonly problem: string,
    override readonly fix: string,
  ) {
    super(problem, fix);
  }
}

const SCRIPT = 'platform/src/runtimes/docker/host-images/build-host-images.sh';

/**
 * (1) the user's choice, present or pullable; (2) the public image when already here; (3) the public image pulled;
 * (4) the host image when here; (5) the host image built from this machine; (6) a BaseImageError with the fixes.
 */
export async function chooseBaseImage(rule: BaseImageRule, store: ImageStore, explicit: string | undefined, progress: (line: string) => void): Promise<BaseImageChoice> {
  if (explicit) {
    if (await store.has(explicit)) return { image: explicit, line: `base image: ${explicit} (set by ${rule.variable})` };
    progress(`base image: pulling ${explicit} (set by ${rule.variable})`);
    const pulled = await store.pull(explicit, progress);
    if (pulled.ok) return { image: explicit, line: `base image: ${explicit} (set by ${rule.variable}; pulled in ${pulled.seconds.toFixed(1)} s)` };
    throw new BaseImageError(
      `${rule.variable}=${explicit}: that image is not on this machine and ${pullFailure(explicit, pulled)}`,
      `check the name ("docker images" lists what is here); "docker pull ${explicit}" or "docker load -i <file>" it; or unset ${rule.variable} and the kit picks ${rule.publicImage}, or offline ${rule.hostImage}`,
    );
  }

  const { publicImage, hostImage } = rule;
  if (await store.has(publicImage)) return { image: publicImage, line: `base image: ${publicImage} (public image, already on this machine)` };
  progress(`base image: pulling ${publicImage} (the public ${rule.what} image, once per machine)`);
  const pulled = await store.pull(publicImage, progress);
  if (pulled.ok) return { image: publicImage, line: `base image: ${publicImage} (public image, pulled in ${pulled.seconds.toFixed(1)} s)` };
  const because = pullFailure(publicImage, pulled);

  if (await store.has(hostImage)) return { image: hostImage, line: `base image: ${hostImage} — ${because}; using the image built from this machine's ${rule.what}` };
  const buildability = store.canBuildHost(rule);
  if (!buildability.possible) throw neither(rule, because, buildability.why, buildability.fix);
  progress(`base image: ${because}; building ${hostImage} from this machine's ${rule.what}`);
  const built = await store.buildHost(rule, progress);
  if (!built.ok) throw neither(rule, because, `building it from this machine's ${rule.what} failed: ${built.reason}`);
  return { image: hostImage, line: `base image: ${hostImage} — ${because}; built it from this machine's ${rule.what} in ${built.seconds.toFixed(1)} s` };
}

export interface BaseImagePlan {
  /** false: `up` may fail to get a base image (doctor shows it as a warning: the process runtime still works) */
  ok: boolean;
  detail: string;
  fix?: string;
}

/** What chooseBaseImage would do, for `tall doctor`: looks at the images here, pulls and builds nothing. */
export async function planBaseImage(rule: BaseImageRule, store: ImageStore, explicit: string | undefined): Promise<BaseImagePlan> {
  if (explicit) {
    if (await store.has(explicit)) return { ok: true, detail: `${explicit} (set by ${rule.variable}, on this machine)` };
    return {
      ok: false,
      detail: `${explicit} (set by ${rule.variable}) is not on this machine; "up" will try to pull it`,
      fix: `"docker pull ${explicit}" or "docker load -i <file>" it now, or unset ${rule.variable} and the kit picks ${rule.publicImage}, or offline ${rule.hostImage}`,
    };
  }
  const { publicImage, hostImage } = rule;
  if (await store.has(publicImage)) return { ok: true, detail: `${publicImage} (public image, on this machine)` };
  const willPull = `${publicImage} is not on this machine: "up" will pull it (the public ${rule.what} image, once per machine)`;
  if (await store.has(hostImage)) return { ok: true, detail: `${willPull}; if no registry answers, it uses ${hostImage} (built from this machine's ${rule.what}, on this machine)` };
  const buildability = store.canBuildHost(rule);
  if (buildability.possible) return { ok: true, detail: `${willPull}; if no registry answers, it builds ${hostImage} from this machine's ${rule.what} (a few seconds)` };
  return {
    ok: false,
    detail: `${willPull}; offline it has no other: no ${hostImage} here, and ${buildability.why}`,
    fix: fixes(rule, buildability.fix),
  };
}

/**
 * When a build fails because a FROM image is missing and could not be pulled, BuildKit says
 * `#3 [catalog internal] load metadata for docker.io/library/node:20-slim` then `#3 ERROR: <why>`.
 */
export function missingBaseImage(buildLines: string[]): { service: string; image: string; reason: string } | undefined {
  const metadata = new Map<string, { service: string; image: string }>();
  for (const line of buildLines) {
    const load = /^#(\d+) \[(\S+) internal\] load metadata for (\S+)/.exec(line);
    if (load) metadata.set(load[1]!, { service: load[2]!, image: familiarName(load[3]!) });
    const error = /^#(\d+) ERROR:?\s*(.*)$/.exec(line);
    const step = error && metadata.get(error[1]!);
    if (step) return { ...step, reason: shortReason(error[2]!) };
  }
  return undefined;
}

export function missingBaseImageError(rule: BaseImageRule, service: string, image: string, reason: string): BaseImageError {
  return new BaseImageError(
    `docker build of service "${service}": its base image ${image} is not on this machine and could not be pulled (${reason})`,
    `"docker pull ${image}" while online, or "docker load -i <file>" an image your teacher hands out; if the compose file or ${rule.variable} names it, check the name ("docker images"); or run without Docker: npx tall up --runtime process`,
  );
}

/** Whether the compose file lets the kit choose (`${TALL_NODE_IMAGE…}`): one that does not gets nothing pulled or built. */
export function composeFileUses(composeFile: string, variable: string): boolean {
  return new RegExp(`\\$\\{?${variable}\\b`).test(readFileSync(composeFile, 'utf8'));
}

/** Docker's error text without the wrapping that says nothing: `Error response from daemon: Get "https://…": dial tcp: `. */
export function shortReason(text: string): string {
  const line = text.trim().split('\n').filter(Boolean).pop() ?? '';
  return line
    .replace(/^Error response from daemon:\s*/i, '')
    .replace(/^failed to do request:\s*/i, '')
    .replace(/^(Get|Head) "[^"]*":\s*/, '')
    .replace(/^dial tcp:\s*/, '');
}

function pullFailure(image: string, pulled: { reason: string; registryAnswered: boolean }): string {
  return pulled.registryAnswered ? `could not pull ${image} (${pulled.reason})` : `no registry answered pulling ${image} (${pulled.reason})`;
}

function neither(rule: BaseImageRule, because: string, whyNoHostImage: string, hostFix?: string): BaseImageError {
  return new BaseImageError(
    `no ${rule.what} base image: ${because}, and there is no ${rule.hostImage} (the image built from this machine's ${rule.what}) — ${whyNoHostImage}`,
    fixes(rule, hostFix),
  );
}

function fixes(rule: BaseImageRule, hostFix?: string): string {
  return [
    `connect to the internet (or run "docker pull ${rule.publicImage}" while online)`,
    `"docker load -i <file>" the image your teacher hands out (and set ${rule.variable}=<its name> if it is neither ${rule.publicImage} nor ${rule.hostImage})`,
    ...(hostFix ? [hostFix] : []),
    'run without Docker: npx tall up --runtime process',
  ].join('; or ');
}

/** The host build's fix when only root is missing. */
export function hostBuildAsRoot(rule: BaseImageRule): string {
  return `build ${rule.hostImage} as root: sudo env "PATH=$PATH" bash ${SCRIPT} ${rule.hostBuild.target}`;
}

/** docker.io/library/node:20-slim -> node:20-slim, as people type it */
function familiarName(image: string): string {
  return image.replace(/^docker\.io\/library\//, '').replace(/^docker\.io\//, '');
}
