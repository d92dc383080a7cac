// Lab 13: the answers the feature-map check accepts. Each job tall did for the shop in labs 00–12, and what does it on
// Docker Swarm and on Kubernetes: an answer passes when it names one of the accepted settings, objects or commands
// (any wording around it, any case). "none" is accepted only where the orchestrator has nothing built in.

export type Orchestrator = 'swarm' | 'kubernetes';

export interface Feature {
  /** the key in services/platform-map.yaml */
  key: string;
  /** what tall did, and in which lab */
  what: string;
  accepted: Record<Orchestrator, RegExp[]>;
  /** where to look, for the failure message */
  hint: Record<Orchestrator, string>;
}

const NONE = /\b(none|nothing|not built[- ]in|no built[- ]in|not available|no such thing|add-on|third[- ]party)\b/i;

export const FEATURES: Feature[] = [
  {
    key: 'route-and-balance',
    what: 'one address per service, requests spread over its instances (tall\'s router, labs 00 and 03)',
    accepted: {
      swarm: [/routing mesh/i, /\bingress\b/i, /virtual ip|\bvip\b/i, /\bdnsrr\b|dns round[- ]robin/i, /\btasks\.\w*/i, /service discovery/i, /endpoint_mode/i],
      kubernetes: [/\bservices?\b/i, /clusterip/i, /kube-proxy/i, /\bingress\b/i, /endpoint ?slices?|\bendpoints\b/i],
    },
    hint: { swarm: 'how does a swarm service get one name and spread requests over its tasks? (docker service inspect: Endpoint)', kubernetes: 'which object gives a set of pods one stable name and address?' },
  },
  {
    key: 'replicas',
    what: 'how many instances of a service run, kept so (deploy.replicas, tall scale, lab 00)',
    accepted: {
      swarm: [/\breplicas?\b/i, /docker service scale/i, /mode:\s*replicated|replicated mode/i],
      kubernetes: [/\bdeployments?\b/i, /replica ?sets?/i, /\breplicas\b/i, /kubectl scale/i],
    },
    hint: { swarm: 'what does docker service ls show in its REPLICAS column, and which command changes it?', kubernetes: 'which object keeps N copies of a pod running?' },
  },
  {
    key: 'liveness',
    what: 'an instance that stops answering is restarted (healthcheck, lab 01)',
    accepted: {
      swarm: [/health ?check/i],
      kubernetes: [/liveness ?probe/i],
    },
    hint: { swarm: 'Swarm reads it from the same compose key tall does', kubernetes: 'a probe whose failure makes the kubelet restart the container' },
  },
  {
    key: 'readiness',
    what: 'an instance gets traffic only while it says it is ready (x-tall.readiness, labs 01 and 06)',
    accepted: {
      swarm: [/health ?check/i, NONE],
      kubernetes: [/readiness ?probe/i],
    },
    hint: { swarm: 'Swarm has one probe for both jobs: a task gets traffic once … says it is healthy', kubernetes: 'a probe whose failure takes the pod out of its Service\'s endpoints without restarting it' },
  },
  {
    key: 'restart-on-crash',
    what: 'an instance that exits is started again, with back-off (lab 06)',
    accepted: {
      swarm: [/restart[_ ]policy/i, /restart_policy/i],
      kubernetes: [/restart ?policy/i, /crash ?loop ?back ?off/i, /\bkubelet\b/i, /replica ?sets?/i, /\bdeployments?\b/i],
    },
    hint: { swarm: 'a deploy key of the compose file says when and how often a task is restarted', kubernetes: 'what does kubectl get pods show for a container that keeps exiting, and which pod field decides it?' },
  },
  {
    key: 'environments',
    what: 'the same file deployed as staging and production, kept apart (tall up --env, lab 02)',
    accepted: {
      swarm: [/\bstacks?\b/i, /docker context/i, /separate swarms?|another swarm|one swarm per/i],
      kubernetes: [/\bnamespaces?\b/i, /kustomize|overlays?/i, /\bhelm\b/i, /separate clusters?|one cluster per/i],
    },
    hint: { swarm: 'docker stack deploy takes a name: what is deployed under it?', kubernetes: 'which object scopes names, so staging and production can both have a Deployment "catalog"?' },
  },
  {
    key: 'secrets',
    what: 'the payment key given to the services, never written in the compose file (lab 02)',
    accepted: {
      swarm: [/docker secrets?|\bsecrets\b|swarm secrets?/i],
      kubernetes: [/\bsecrets?\b/i],
    },
    hint: { swarm: 'a swarm keeps encrypted values of its own and mounts them into tasks as files', kubernetes: 'the object next to ConfigMap, for values that must not be read by everyone' },
  },
  {
    key: 'data-services',
    what: 'a PostgreSQL provisioned and bound to the services that name it (tall service create, x-tall.bind, lab 04)',
    accepted: {
      swarm: [/\bvolumes?\b/i, /placement|constraints?/i],
      kubernetes: [/stateful ?sets?/i, /persistent ?volume ?claims?|\bpvcs?\b|persistent ?volumes?/i, /\boperators?\b/i, /service ?bindings?|service ?catalog|open service broker/i],
    },
    hint: { swarm: 'a database is a service like any other there: what keeps its data when its task is replaced?', kubernetes: 'which workload object gives each replica a stable name and its own storage?' },
  },
  {
    key: 'autoscaling',
    what: 'instances added under load and removed after it (x-tall.autoscale, lab 09)',
    accepted: {
      swarm: [NONE],
      kubernetes: [/horizontal ?pod ?autoscaler|\bhpa\b/i, /\bkeda\b/i, /autoscaling\/v2/i],
    },
    hint: { swarm: 'look for an autoscaler in docker service --help: is there one?', kubernetes: 'the object kubectl autoscale makes' },
  },
  {
    key: 'rolling-deploy',
    what: 'a new version replaces the old one instance by instance, with no failed request (tall deploy, lab 12)',
    accepted: {
      swarm: [/update_config|update config/i, /docker service update/i, /docker stack deploy/i],
      kubernetes: [/rolling ?update/i, /\brollouts?\b/i, /\bstrategy\b/i, /max ?surge|max ?unavailable/i, /kubectl (set image|apply)/i],
    },
    hint: { swarm: 'the compose key tall read for lab 12 is Swarm\'s own', kubernetes: 'a Deployment\'s strategy type' },
  },
  {
    key: 'rollback',
    what: 'a version that fails is taken back, by itself or by hand (tall rollback, failure_action, lab 12)',
    accepted: {
      swarm: [/docker service rollback|--rollback/i, /rollback_config|failure_action/i],
      kubernetes: [/rollout undo/i, /revision ?history/i, /argo rollouts|flagger/i, /progress ?deadline/i],
    },
    hint: { swarm: 'docker service has a verb for it, and update_config a key that does it by itself', kubernetes: 'kubectl rollout … ?' },
  },
  {
    key: 'monitoring',
    what: 'request rates, errors and latency of every instance, scraped and shown (tall dashboard, /metrics, lab 08)',
    accepted: {
      swarm: [NONE, /prometheus|cadvisor|docker stats|grafana/i],
      kubernetes: [/metrics[- ]server|kubectl top/i, /prometheus|grafana/i],
    },
    hint: { swarm: 'does Swarm scrape /metrics by itself, or do you add something?', kubernetes: 'what answers kubectl top, and what do most clusters add for the rest?' },
  },
];

const orchestrators: Orchestrator[] = ['swarm', 'kubernetes'];

/** How many other features' accepted answers a text names: an answer that names most of them says nothing. */
function othersNamed(text: string, feature: Feature, orchestrator: Orchestrator): number {
  return FEATURES.filter((other) => other !== feature && other.accepted[orchestrator].some((pattern) => pattern !== NONE && pattern.test(text))).length;
}

/** The problems with a map, one line each; none when every feature has an accepted answer for both orchestrators. */
export function mapProblems(map: unknown): string[] {
  if (!map || typeof map !== 'object' || Array.isArray(map)) return ['platform-map.yaml is not a map of features (feature: { swarm: …, kubernetes: … })'];
  const entries = map as Record<string, unknown>;
  const problems: string[] = [];
  for (const feature of FEATURES) {
    const entry = entries[feature.key];
    if (!entry || typeof entry !== 'object') {
      problems.push(`${feature.key} (${feature.what}): missing — expected ${feature.key}: { swarm: …, kubernetes: … }`);
      continue;
    }
    for (const orchestrator of orchestrators) {
      const raw = (entry as Record<string, unknown>)[orchestrator];
      const text = Array.isArray(raw) ? raw.join(', ') : raw === undefined || raw === null ? '' : String(raw);
      if (!text.trim()) {
        problems.push(`${feature.key}.${orchestrator}: empty — ${feature.hint[orchestrator]}`);
        continue;
      }
      if (!feature.accepted[orchestrator].some((pattern) => pattern.test(text))) {
        problems.push(`${feature.key}.${orchestrator}: "${text.slice(0, 80)}" is not what does it there — ${feature.hint[orchestrator]}`);
        continue;
      }
      // A good answer may touch a few other jobs ("kubectl rollout undo deployment/catalog" names three); half of them is a list.
      if (othersNamed(text, feature, orchestrator) >= FEATURES.length / 2) problems.push(`${feature.key}.${orchestrator}: "${text.slice(0, 80)}…" names the answers to many other features too: name the one that does this job`);
    }
  }
  return problems;
}
