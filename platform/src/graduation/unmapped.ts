import type { ProjectSpec } from '../compose/model.js';
import { DEFAULT_UPDATE_CONFIG } from '../compose/normalize-service.js';

/** A setting of the compose file the target orchestrator has no field for, and what people use there instead. */
export interface Unmapped {
  service: string;
  setting: string;
  instead: string;
}

export type Orchestrator = 'kubernetes' | 'swarm';

/** Variables whose names say they hold a secret: they go to a Secret, never into a ConfigMap or a stack file. */
export function isSecretName(name: string): boolean {
  return /(KEY|SECRET|PASSWORD|PASSWD|TOKEN|CREDENTIAL)/i.test(name);
}

/** What tall does from this file that the orchestrator cannot be told in its own objects. */
export function notExpressed(project: ProjectSpec, target: Orchestrator): Unmapped[] {
  const found: Unmapped[] = [];
  const add = (service: string, setting: string, instead: string) => found.push({ service, setting, instead });
  for (const service of project.services) {
    const tall = service.tall;
    if (tall.balance === 'least-connection') {
      add(service.name, 'x-tall.balance: least-connection', target === 'kubernetes'
        ? 'a Service balances per connection (kube-proxy); least-request needs a service mesh (Istio/Envoy LEAST_REQUEST) or an ingress setting'
        : 'Swarm\'s routing mesh balances round-robin (IPVS); least-connection needs a proxy in front (Traefik, HAProxy)');
    }
    if (Object.keys(tall.timeouts).length > 0) add(service.name, 'x-tall.timeouts', 'timeouts per route belong to the ingress or proxy (ingress-nginx proxy-read-timeout annotations, Traefik middlewares)');
    if (tall.deploy === 'blue-green') {
      add(service.name, 'x-tall.deploy: blue-green', target === 'kubernetes'
        ? 'a Deployment only rolls; blue-green is Argo Rollouts\' blueGreen strategy (or two Deployments and a Service selector switch)'
        : 'a Swarm service only rolls; blue-green is two services and a proxy switch');
    }
    if (tall.autoscale && target === 'swarm') add(service.name, 'x-tall.autoscale', 'Swarm has no autoscaler: `docker service scale` by hand or by an outside tool');
    if ((service.updateConfig ?? DEFAULT_UPDATE_CONFIG).failureAction === 'rollback' && target === 'kubernetes') {
      add(service.name, `deploy.update_config.failure_action: rollback${service.updateConfig ? '' : ' (tall deploy\'s default)'}`, 'a Deployment stops a failing rollout (progressDeadlineSeconds) but does not roll back by itself: `kubectl rollout undo`, or Argo Rollouts\' analysis');
    }
    if (service.updateConfig && service.updateConfig.maxFailureRatio > 0 && target === 'kubernetes') add(service.name, 'deploy.update_config.max_failure_ratio', 'no Deployment field; Argo Rollouts\' analysis runs measure it');
    if (service.restartPolicy?.maxAttempts !== undefined && target === 'kubernetes') {
      add(service.name, 'deploy.restart_policy.max_attempts', 'a Deployment\'s pods always restart (with CrashLoopBackOff\'s growing delay, up to 5 min); a Job has backoffLimit');
    }
    if (tall.bind?.length) {
      add(service.name, `x-tall.bind: [${tall.bind.join(', ')}]`, target === 'kubernetes'
        ? 'no marketplace: each data service is a StatefulSet here, its URL put together from a Secret; operators (CloudNativePG) or a cloud\'s managed database do backups, failover and upgrades; VCAP_SERVICES has no equivalent'
        : 'no marketplace: each data service is a service with a volume, its password given to the deploy as a variable (a Swarm secret is a file the app would have to read); backups and failover are yours');
    }
  }
  return found;
}
