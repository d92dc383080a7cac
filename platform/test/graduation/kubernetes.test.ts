import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as appsV1 from 'kubernetes-models/apps/v1';
import * as autoscalingV2 from 'kubernetes-models/autoscaling/v2';
import * as networkingV1 from 'kubernetes-models/networking.k8s.io/v1';
import * as coreV1 from 'kubernetes-models/v1';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { TallSandbox } from '../support/tall-cli.js';

const KIT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
// The last lab's solution: every setting the labs teach is in it (probes, update_config, autoscale, blue-green, bindings).
const SHOP = readdirSync(join(KIT, 'solutions')).filter((name) => /^\d\d-/.test(name)).sort().at(-1)!;
const COMPOSE = join(KIT, 'solutions', SHOP, 'compose.yaml');
const ENV_FILE = join(KIT, 'solutions', SHOP, 'environments', 'default.env');

interface Doc {
  apiVersion: string;
  kind: string;
  metadata: { name: string };
  spec?: Record<string, unknown>;
  data?: Record<string, string>;
}

/** Every object again through kubernetes-models, read back from the files as kubectl would read them. */
const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  'apps/v1/Deployment': appsV1.Deployment, 'apps/v1/StatefulSet': appsV1.StatefulSet, 'v1/Service': coreV1.Service, 'v1/ConfigMap': coreV1.ConfigMap,
  'autoscaling/v2/HorizontalPodAutoscaler': autoscalingV2.HorizontalPodAutoscaler, 'networking.k8s.io/v1/Ingress': networkingV1.Ingress,
};

describe('tall graduate kubernetes: the same compose file as Kubernetes objects', () => {
  const out = mkdtempSync(join(tmpdir(), 'tall-k8s-'));
  const result = new TallSandbox(KIT).run(['graduate', 'kubernetes', '--file', COMPOSE, '--out', out, '--registry', 'registry.example/shop', '--json']);
  const docs = async () => {
    const run = await result;
    expect(run.code, run.stderr).toBe(0);
    return readdirSync(out).filter((file) => file.endsWith('.yaml') && file !== 'kustomization.yaml').flatMap((file) => YAML.parseAllDocuments(readFileSync(join(out, file), 'utf8')).map((doc) => doc.toJS() as Doc));
  };
  const find = async (kind: string, name: string) => (await docs()).find((doc) => doc.kind === kind && doc.metadata.name === name)!;

  it('writes valid objects only: each one read back validates against the Kubernetes API schema', async () => {
    const all = await docs();
    expect(all.length).toBeGreaterThanOrEqual(15);
    for (const doc of all) {
      const Model = MODELS[`${doc.apiVersion}/${doc.kind}`];
      expect(Model, `${doc.apiVersion} ${doc.kind}`).toBeDefined();
      expect(() => new Model!(doc as never).validate(), `${doc.kind} ${doc.metadata.name}`).not.toThrow();
    }
    const kustomization = YAML.parse(readFileSync(join(out, 'kustomization.yaml'), 'utf8')) as { resources: string[] };
    expect(kustomization.resources.sort()).toEqual(readdirSync(out).filter((file) => file.endsWith('.yaml') && file !== 'kustomization.yaml').sort());
    // ...and a broken object is caught by the same validation.
    expect(() => new appsV1.Deployment({ metadata: { name: 'x' }, spec: { selector: {}, template: { spec: { containers: [{ name: 'x', ports: [{ containerPort: 'http' as never }] }] } } } }).validate()).toThrow(/containerPort/);
  });

  it('maps probes, replicas, limits, update_config and autoscale from the file', async () => {
    const catalog = await find('Deployment', 'catalog') as unknown as { spec: { replicas: number; strategy: unknown; minReadySeconds: number; template: { spec: { containers: Record<string, unknown>[] } } } };
    const container = catalog.spec.template.spec.containers[0]!;
    expect(container.image).toBe('registry.example/shop/shop-catalog:v1');
    expect(container.livenessProbe).toMatchObject({ exec: { command: ['node', '-e', expect.stringContaining('/health')] }, periodSeconds: 10, timeoutSeconds: 3, failureThreshold: 3 });
    expect(container.startupProbe).toMatchObject({ exec: { command: ['node', '-e', expect.stringContaining('/health')] } });
    expect(container.readinessProbe).toMatchObject({ httpGet: { path: '/ready', port: 'http' } });
    expect(container.resources).toMatchObject({ limits: { memory: expect.stringMatching(/^\d+Mi$/), cpu: expect.any(String) } });
    // update_config: parallelism 1, start-first, monitor 10s
    expect(catalog.spec.strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } });
    expect(catalog.spec.minReadySeconds).toBe(10);
    expect(catalog.spec.replicas).toBe(2);
    expect((await find('HorizontalPodAutoscaler', 'catalog')).spec).toMatchObject({
      scaleTargetRef: { kind: 'Deployment', name: 'catalog' }, minReplicas: 2, maxReplicas: 4,
      metrics: [{ type: 'Pods', pods: { metric: { name: 'http_requests_per_second' }, target: { type: 'AverageValue', averageValue: '20' } } }],
      behavior: { scaleUp: { stabilizationWindowSeconds: 0 }, scaleDown: { stabilizationWindowSeconds: 15 } },
    });
    expect((await find('Service', 'catalog')).spec).toMatchObject({ ports: [{ port: 80, targetPort: 'http' }] });
    const ingress = await find('Ingress', 'shop') as unknown as { spec: { rules: { http: { paths: { path: string; backend: { service: { name: string } } }[] } }[] } };
    expect(ingress.spec.rules[0]!.http.paths.map((path) => [path.path, path.backend.service.name])).toEqual(expect.arrayContaining([['/catalog(/|$)(.*)', 'catalog'], ['/orders(/|$)(.*)', 'orders']]));
    // The services reach each other through the ingress, as through tall's router.
    expect((await find('ConfigMap', 'orders-config')).data).toMatchObject({ CATALOG_URL: 'http://ingress-nginx-controller.ingress-nginx.svc.cluster.local/catalog', HOST: '0.0.0.0' });
    expect((await find('StatefulSet', 'orders-db')).spec).toMatchObject({ replicas: 1, volumeClaimTemplates: [expect.objectContaining({ spec: expect.objectContaining({ accessModes: ['ReadWriteOnce'] }) })] });
    const report = JSON.parse((await result).stdout) as { unmapped: { service: string; setting: string }[] };
    expect(report.unmapped).toEqual(expect.arrayContaining([expect.objectContaining({ service: 'web', setting: 'x-tall.deploy: blue-green' }), expect.objectContaining({ service: 'payment', setting: 'x-tall.balance: least-connection' })]));
  });

  it('writes no secret: the payment key is only a reference, and create-secrets.sh makes the Secrets from the environment file', async () => {
    await docs();
    const key = /^PAYMENT_API_KEY=(.+)$/m.exec(readFileSync(ENV_FILE, 'utf8'))![1]!;
    for (const file of readdirSync(out)) expect(readFileSync(join(out, file), 'utf8'), file).not.toContain(key);
    const payment = await find('Deployment', 'payment') as unknown as { spec: { template: { spec: { containers: { env: unknown[] }[] } } } };
    expect(payment.spec.template.spec.containers[0]!.env).toContainEqual({ name: 'PAYMENT_API_KEY', valueFrom: { secretKeyRef: { name: 'payment-secrets', key: 'PAYMENT_API_KEY' } } });
    expect((await find('ConfigMap', 'payment-config')).data).not.toHaveProperty('PAYMENT_API_KEY');

    // The script, with a kubectl that only records what it is asked.
    const bin = mkdtempSync(join(tmpdir(), 'tall-kubectl-'));
    const calls = join(bin, 'calls');
    writeFileSync(join(bin, 'kubectl'), `#!/bin/sh\necho "$*" >> ${calls}\n[ "$1" = get ] && exit 1\nexit 0\n`);
    chmodSync(join(bin, 'kubectl'), 0o755);
    execFileSync('sh', [join(out, 'create-secrets.sh'), ENV_FILE], { env: { ...process.env, PATH: `${bin}:${process.env.PATH}` } });
    const made = readFileSync(calls, 'utf8');
    expect(made).toContain(`create secret generic payment-secrets --from-literal=PAYMENT_API_KEY=${key}`);
    expect(made).toMatch(/create secret generic orders-db-credentials --from-literal=password=[0-9a-f]{36}/);
  });
});
