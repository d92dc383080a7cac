import { Deployment, StatefulSet } from 'kubernetes-models/apps/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { ConfigMap, Service } from 'kubernetes-models/v1';
import { Ingress } from 'kubernetes-models/networking.k8s.io/v1';
import type { IContainer, IEnvVar, IProbe } from 'kubernetes-models/v1';
import type { Healthcheck, ProjectSpec, ServiceSpec } from '../compose/model.js';
import { DEFAULT_UPDATE_CONFIG } from '../compose/normalize-service.js';
import { sqlName } from '../data-services/credentials.js';
import { boundUrls } from './bound-urls.js';
import { isSecretName, notExpressed, type Unmapped } from './unmapped.js';

export interface KubernetesOptions {
  /** the compose project's name (labels, the Ingress's name) */
  project: string;
  /** where images are pushed: `<registry>/<project>-<service>:<tag>` (empty: local names, for kind/minikube loading) */
  registry: string;
  tag: string;
}

/** One object of the output, built with kubernetes-models (so it is checked against the API's schema as it is made). */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata?: { name?: string };
  validate(): void;
  toJSON(): unknown;
}

/** A Secret the output does not contain: the command that creates it from where its values live. */
export interface SecretToCreate {
  name: string;
  /** key → where its value comes from: an environment variable (read from the environment file) or a new random one */
  keys: { key: string; from: { variable: string } | { random: true } }[];
}

export interface KubernetesOutput {
  /** per service (and per data service): its objects, in the order kubectl should apply them */
  files: { name: string; objects: KubeObject[] }[];
  secrets: SecretToCreate[];
  unmapped: Unmapped[];
}

/** How the services reach each other: through the Ingress, as they reach each other through tall's router. */
export const IN_CLUSTER_ROUTER = 'http://ingress-nginx-controller.ingress-nginx.svc.cluster.local';

/**
 * The same compose file as Kubernetes objects: per service a ConfigMap (its environment), a Deployment (replicas,
 * healthcheck → liveness and startup probes, x-tall.readiness → readiness probe, resource limits, update_config → the
 * rolling-update strategy), a Service and, for x-tall.autoscale, a HorizontalPodAutoscaler; one Ingress for the
 * router's routes; per data service a StatefulSet with a volume and a Service. Secrets are never written: values whose
 * names say they are secret (and every data service's password) become Secrets that `create-secrets.sh` makes from the
 * environment file (or at random) — what a SealedSecret or an external secret store would do in a real cluster.
 */
export function kubernetesManifests(project: ProjectSpec, options: KubernetesOptions): KubernetesOutput {
  const files: KubernetesOutput['files'] = [];
  const secrets: SecretToCreate[] = [];
  const labels = (name: string) => ({ 'app.kubernetes.io/name': name, 'app.kubernetes.io/part-of': options.project, 'app.kubernetes.io/managed-by': 'tall-graduate' });

  for (const data of project.dataServices ?? []) {
    const user = sqlName(data.name);
    secrets.push({ name: `${data.name}-credentials`, keys: [{ key: 'password', from: { random: true } }] });
    files.push({
      name: data.name,
      objects: [
        new StatefulSet({
          metadata: { name: data.name, labels: labels(data.name) },
          spec: {
            serviceName: data.name,
            replicas: 1,
            selector: { matchLabels: { 'app.kubernetes.io/name': data.name } },
            template: {
              metadata: { labels: labels(data.name) },
              spec: {
                containers: [{
                  name: 'postgres',
                  image: 'postgres:15',
                  ports: [{ name: 'postgres', containerPort: 5432 }],
                  env: [
                    { name: 'POSTGRES_USER', value: user },
                    { name: 'POSTGRES_DB', value: user },
                    { name: 'POSTGRES_PASSWORD', valueFrom: { secretKeyRef: { name: `${data.name}-credentials`, key: 'password' } } },
                    { name: 'PGDATA', value: '/var/lib/postgresql/data/pgdata' },
                  ],
                  readinessProbe: { exec: { command: ['pg_isready', '-U', user, '-d', user] }, periodSeconds: 5 },
                  volumeMounts: [{ name: 'data', mountPath: '/var/lib/postgresql/data' }],
                }],
              },
            },
            volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }],
          },
        }),
        new Service({ metadata: { name: data.name, labels: labels(data.name) }, spec: { selector: { 'app.kubernetes.io/name': data.name }, ports: [{ name: 'postgres', port: 5432, targetPort: 'postgres' }] } }),
      ],
    });
  }

  for (const service of project.services) {
    const objects: KubeObject[] = [];
    const { plain, secret } = splitEnvironment(service);
    if (secret.length > 0) secrets.push({ name: `${service.name}-secrets`, keys: secret.map((variable) => ({ key: variable, from: { variable } })) });
    // The docker runtime tells a service to listen on every interface of its container; so must a pod.
    objects.push(new ConfigMap({ metadata: { name: `${service.name}-config`, labels: labels(service.name) }, data: { ...plain, HOST: '0.0.0.0' } }));
    const container: IContainer = {
      name: service.name,
      image: imageOf(service, options),
      ports: [{ name: 'http', containerPort: service.containerPort }],
      envFrom: [{ configMapRef: { name: `${service.name}-config` } }],
      env: [...secret.map((variable): IEnvVar => ({ name: variable, valueFrom: { secretKeyRef: { name: `${service.name}-secrets`, key: variable } } })), ...bindingEnvironment(service, project)],
      resources: { limits: { memory: `${Math.round(service.limits.memoryBytes / 1024 / 1024)}Mi`, cpu: String(service.limits.cpus) } },
      ...probes(service),
    };
    if (container.env!.length === 0) delete container.env;
    // Without update_config, what `tall deploy` does (DEFAULT_UPDATE_CONFIG).
    const update = service.updateConfig ?? DEFAULT_UPDATE_CONFIG;
    const autoscale = service.tall.autoscale;
    objects.push(new Deployment({
      metadata: { name: service.name, labels: labels(service.name) },
      spec: {
        // An autoscaled Deployment's count is the HPA's; it starts at the policy's min.
        replicas: autoscale ? autoscale.min : service.replicas,
        selector: { matchLabels: { 'app.kubernetes.io/name': service.name } },
        strategy: {
          type: 'RollingUpdate',
          // start-first: new pods beside the old (surge), none taken away first; stop-first: the reverse.
          rollingUpdate: update.order === 'stop-first' ? { maxSurge: 0, maxUnavailable: update.parallelism } : { maxSurge: update.parallelism, maxUnavailable: 0 },
        },
        ...(update.monitorMs > 0 ? { minReadySeconds: Math.ceil(update.monitorMs / 1000) } : {}),
        template: {
          metadata: {
            labels: labels(service.name),
            ...(service.tall.metricsPath ? { annotations: { 'prometheus.io/scrape': 'true', 'prometheus.io/path': service.tall.metricsPath, 'prometheus.io/port': String(service.containerPort) } } : {}),
          },
          spec: { containers: [container], terminationGracePeriodSeconds: Math.ceil(service.stopGracePeriodMs / 1000) },
        },
      },
    }));
    objects.push(new Service({ metadata: { name: service.name, labels: labels(service.name) }, spec: { selector: { 'app.kubernetes.io/name': service.name }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] } }));
    if (autoscale) objects.push(autoscaler(service.name, autoscale, labels(service.name)));
    files.push({ name: service.name, objects });
  }

  const routed = project.services.filter((service) => service.tall.route !== false);
  if (routed.length > 0) {
    files.push({
      name: 'ingress',
      objects: [new Ingress({
        metadata: {
          name: options.project,
          labels: labels(options.project),
          // tall's router strips /<route> before the service sees the path; ingress-nginx does it with a rewrite.
          annotations: { 'nginx.ingress.kubernetes.io/use-regex': 'true', 'nginx.ingress.kubernetes.io/rewrite-target': '/$2' },
        },
        spec: {
          ingressClassName: 'nginx',
          rules: [{
            http: {
              paths: routed.map((service) => ({
                path: `/${service.tall.route as string}(/|$)(.*)`,
                pathType: 'ImplementationSpecific',
                backend: { service: { name: service.name, port: { name: 'http' } } },
              })),
            },
          }],
        },
      })],
    });
  }
  for (const file of files) for (const object of file.objects) object.validate();
  return { files, secrets, unmapped: notExpressed(project, 'kubernetes') };
}

function imageOf(service: ServiceSpec, options: KubernetesOptions): string {
  if (!service.build && service.image) return service.image;
  const name = `${options.project}-${service.name}:${options.tag}`;
  return options.registry ? `${options.registry.replace(/\/$/, '')}/${name}` : name;
}

function splitEnvironment(service: ServiceSpec): { plain: Record<string, string>; secret: string[] } {
  const plain: Record<string, string> = {};
  const secret: string[] = [];
  for (const [name, value] of Object.entries(service.environment)) {
    if (isSecretName(name)) secret.push(name);
    else plain[name] = value;
  }
  return { plain, secret };
}

/** DATABASE_URL / BROKER_URL of the service's bindings, put together from each instance's Secret as the pod starts. */
function bindingEnvironment(service: ServiceSpec, project: ProjectSpec): IEnvVar[] {
  return boundUrls(service, project).flatMap(({ variable, instance, user }) => {
    const password = `${user.toUpperCase()}_PASSWORD`;
    return [
      { name: password, valueFrom: { secretKeyRef: { name: `${instance}-credentials`, key: 'password' } } },
      // $(VAR) is expanded by the kubelet from the variables defined before it.
      { name: variable, value: `postgres://${user}:$(${password})@${instance}:5432/${user}` },
    ];
  });
}

function probes(service: ServiceSpec): Pick<IContainer, 'livenessProbe' | 'startupProbe' | 'readinessProbe'> {
  const result: Pick<IContainer, 'livenessProbe' | 'startupProbe' | 'readinessProbe'> = {};
  const check = service.healthcheck;
  if (check) {
    result.livenessProbe = execProbe(check, check.retries);
    // Compose's start_period (failures don't count yet) is what a startup probe is for: liveness waits until it passes.
    if (check.startPeriodMs > 0) result.startupProbe = execProbe(check, Math.ceil(check.startPeriodMs / Math.max(check.intervalMs, 1000)) + check.retries);
  }
  const ready = service.tall.readiness;
  if (ready) {
    result.readinessProbe = {
      httpGet: { path: ready.path, port: 'http' },
      periodSeconds: seconds(ready.intervalMs),
      timeoutSeconds: seconds(ready.timeoutMs),
      failureThreshold: ready.failureThreshold,
    };
  }
  return result;
}

function execProbe(check: Healthcheck, failureThreshold: number): IProbe {
  const [form, ...rest] = check.test;
  const command = form === 'CMD-SHELL' ? ['/bin/sh', '-c', rest.join(' ')] : rest;
  return { exec: { command }, periodSeconds: seconds(check.intervalMs), timeoutSeconds: seconds(check.timeoutMs), failureThreshold: Math.max(1, failureThreshold) };
}

const seconds = (ms: number) => Math.max(1, Math.round(ms / 1000));

function autoscaler(name: string, policy: NonNullable<ServiceSpec['tall']['autoscale']>, labels: Record<string, string>): HorizontalPodAutoscaler {
  const metric = policy.metric === 'cpu_percent'
    ? { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: policy.target } } }
    // Request rate and latency are custom metrics: a metrics adapter (prometheus-adapter) serves them from the
    // services' own /metrics, under these names.
    : { type: 'Pods', pods: { metric: { name: policy.metric === 'rps_per_instance' ? 'http_requests_per_second' : 'http_request_duration_p95_milliseconds' }, target: { type: 'AverageValue', averageValue: String(policy.target) } } };
  return new HorizontalPodAutoscaler({
    metadata: { name, labels },
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name },
      minReplicas: policy.min,
      maxReplicas: policy.max,
      metrics: [metric],
      behavior: {
        scaleUp: { stabilizationWindowSeconds: Math.round(policy.scaleUpWindowMs / 1000) },
        scaleDown: { stabilizationWindowSeconds: Math.round(policy.scaleDownWindowMs / 1000) },
      },
    },
  });
}
