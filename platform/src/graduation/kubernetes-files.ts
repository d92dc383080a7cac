import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import YAML from 'yaml';
import type { KubernetesOutput, SecretToCreate } from './kubernetes.js';

/**
 * Writes the manifests as kubectl and kustomize read them: one multi-document file per service (and the Ingress), a
 * kustomization.yaml listing them (`kubectl apply -k DIR`), and create-secrets.sh, which makes the Secrets from the
 * environment file when it is run — the only place their values ever are.
 */
export function writeKubernetes(out: string, output: KubernetesOutput, envFile: string | undefined): string[] {
  mkdirSync(out, { recursive: true });
  const written: string[] = [];
  const write = (name: string, text: string) => {
    writeFileSync(join(out, name), text);
    written.push(join(out, name));
  };
  for (const file of output.files) {
    write(`${file.name}.yaml`, file.objects.map((object) => YAML.stringify(object.toJSON(), { lineWidth: 0 })).join('---\n'));
  }
  write('kustomization.yaml', YAML.stringify({ apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization', resources: output.files.map((file) => `${file.name}.yaml`) }));
  write('create-secrets.sh', secretsScript(output.secrets, envFile ? relative(out, envFile) : undefined));
  chmodSync(join(out, 'create-secrets.sh'), 0o755);
  return written;
}

function secretsScript(secrets: SecretToCreate[], envFile: string | undefined): string {
  const lines = [
    '#!/bin/sh',
    '# Creates the Secrets the manifests refer to, in the current kubectl context and namespace. Run it once before',
    '# `kubectl apply -k .`. Values come from the environment file (the first argument) when it runs; none is written in',
    '# this folder. A data service\'s password is made at random once and kept (running this again does not change it).',
    'set -eu',
    `ENV_FILE="\${1:-$(dirname "$0")/${envFile ?? '../../services/environments/default.env'}}"`,
    'if [ -f "$ENV_FILE" ]; then set -a; . "$ENV_FILE"; set +a; fi',
    'random() { head -c 18 /dev/urandom | od -An -tx1 | tr -d \' \\n\'; }',
  ];
  for (const secret of secrets) {
    const literals = secret.keys.map(({ key, from }) => `--from-literal=${key}="${'variable' in from ? `\${${from.variable}:?set ${from.variable}, or pass an environment file}` : '$(random)'}"`).join(' ');
    const create = `kubectl create secret generic ${secret.name} ${literals}`;
    const keepsItsValue = secret.keys.some(({ from }) => 'random' in from);
    lines.push(keepsItsValue
      ? `kubectl get secret ${secret.name} >/dev/null 2>&1 || ${create}`
      : `${create} --dry-run=client -o yaml | kubectl apply -f -`);
  }
  return `${lines.join('\n')}\n`;
}
