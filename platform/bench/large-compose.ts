/**
 * A large but ordinary compose file, the kind a tester fed the reader: services with environment, healthchecks, x-tall,
 * shared parts through anchors and merge keys, and a few fields the kit does not honour (so warnings are produced too).
 * Used by the parse benchmark and by the test that a file this size is read correctly.
 */
export function generateLargeCompose(targetBytes = 5 * 1024 * 1024, { anchors = true } = {}): { text: string; services: number } {
  const liveness = `test: ["CMD", "node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
  interval: 10s
  timeout: 3s
  retries: 3
  start_period: 10s`;
  const tallService = `process: { command: ["node", "--import", "tsx", "src/index.ts"] }
  readiness: /ready`;
  const indent = (text: string) => text.replaceAll('\n  ', '\n      ');
  const parts = [
    `name: large
x-liveness: &liveness
  ${liveness}
x-tall-service: &tall-service
  ${tallService}
services:
`,
  ];
  let size = parts[0]!.length;
  let services = 0;
  while (size < targetBytes) {
    const i = services;
    const environment = Array.from({ length: 24 }, (_, n) => `      SETTING_${n}: "\${SETTING_${n}:-value-${n}-for-service-${i}}"\n`).join('');
    const service = `  svc${i}:
    image: example/svc${i}:1.0
    environment:
      PORT: "3000"
      UPSTREAM_URL: \${ROUTER_URL:-http://127.0.0.1:8080}/svc${i + 1}
${environment}    expose: ["3000"]
    ports: ["3000"]
    deploy:
      replicas: 2
      restart_policy: { condition: on-failure, delay: 2s, max_attempts: 5 }
    healthcheck:
      ${anchors ? '<<: *liveness' : indent(liveness)}
      start_interval: 1s
    labels:
      team: "team-${i % 40}"
      tier: backend
    x-tall:
      ${anchors ? '<<: *tall-service' : indent(tallService)}
      balance: least-connection
`;
    parts.push(service);
    size += service.length;
    services++;
  }
  return { text: parts.join(''), services };
}

/**
 * One service with one very wide mapping (an environment of ~100,000 variables at 5 MB): the shape where a duplicate-key
 * check that compares each key with every earlier one takes minutes.
 */
export function generateWideCompose(targetBytes = 5 * 1024 * 1024): { text: string; keys: number } {
  const parts = ['name: wide\nservices:\n  web:\n    image: example/web:1.0\n    environment:\n'];
  let size = parts[0]!.length;
  let keys = 0;
  while (size < targetBytes) {
    const line = `      VARIABLE_NUMBER_${keys}: "a value for variable ${keys}"\n`;
    parts.push(line);
    size += line.length;
    keys++;
  }
  return { text: parts.join(''), keys };
}
