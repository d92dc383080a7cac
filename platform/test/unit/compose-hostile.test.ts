/**
 * Compose files written by others: every problem a tester found feeding ~500 real-world files to the reader ends as a
 * correct result or a ComposeError naming file:line:column with how to fix it — never a raw exception or a silent wrong value.
 */
import { mkdirSync, mkdtempSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ComposeError } from '../../src/compose/errors.js';
import { interpolate } from '../../src/compose/interpolate.js';
import { parseCompose } from '../../src/compose/parse-compose.js';
import type { ProjectSpec } from '../../src/compose/model.js';
import { generateLargeCompose } from '../../bench/large-compose.js';

function composeFile(text: string, files: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'compose-hostile-'));
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), content);
  }
  const file = join(dir, 'compose.yaml');
  writeFileSync(file, text);
  return file;
}

/** The ComposeError parsing throws; fails the test when parsing succeeds or throws anything else. */
function composeError(file: string, env: Record<string, string> = {}): ComposeError {
  try {
    parseCompose(file, { env });
  } catch (error) {
    if (error instanceof ComposeError) return error;
    throw new Error(`expected a ComposeError, got ${(error as Error)?.constructor?.name}: ${(error as Error)?.message}`);
  }
  throw new Error('expected a ComposeError, but the file parsed');
}

const parse = (file: string, env: Record<string, string> = {}): ProjectSpec => parseCompose(file, { env });
const warningsOf = (project: ProjectSpec) => project.warnings.map((w) => `${w.line}:${w.column}: ${w.message}`);

describe('raw exceptions become located errors', () => {
  it('an alias bomb ("billion laughs") is refused at the alias that expands it', () => {
    const levels = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
    for (let level = 1; level < 9; level++) {
      const [name, previous] = [String.fromCharCode(97 + level), String.fromCharCode(96 + level)];
      levels.push(`${name}: &${name} [${Array(9).fill(`*${previous}`).join(',')}]`);
    }
    const file = composeFile(`x-bomb:\n${levels.map((l) => `  ${l}`).join('\n')}\nservices:\n  web:\n    image: x\n    labels: { bomb: *i }\n`);
    const error = composeError(file);
    expect(error.message).toMatch(/compose\.yaml:\d+:\d+: .*aliases .*expand.*(billion laughs|alias bomb)/);
    expect(error.line).toBeGreaterThan(1);
  });

  it('a merge (<<) of a scalar is a located error saying what a merge takes', () => {
    const error = composeError(composeFile('x-name: &name hello\nservices:\n  web:\n    <<: *name\n    image: x\n'));
    expect(error.message).toMatch(/compose\.yaml:4:\d+: .*<<.* a string.*mapping/);
  });

  it('a merge of an anchor that does not exist names the anchor and says it must be defined earlier in the same file', () => {
    const error = composeError(composeFile('services:\n  web:\n    image: x\n    x-tall:\n      <<: *tall-service\n'));
    expect(error.message).toMatch(/compose\.yaml:5:\d+: .*"&tall-service".*defined earlier in the same file/);
  });

  it('an anchor used before it is defined gets the same message', () => {
    const error = composeError(composeFile('services:\n  web:\n    image: x\n    labels: *labels\nx-labels: &labels { a: b }\n'));
    expect(error.message).toMatch(/compose\.yaml:4:\d+: .*"&labels".*defined earlier/);
  });

  it('a bare "build:" (null) is a located error', () => {
    const error = composeError(composeFile('services:\n  web:\n    image: x\n    build:\n'));
    expect(error.message).toMatch(/compose\.yaml:4:5: service "web": build must be a string or a mapping \(got nothing/);
  });

  it('an env_file list with an empty item is a located error', () => {
    const error = composeError(composeFile('services:\n  web:\n    image: x\n    env_file:\n      - \n'));
    expect(error.message).toMatch(/compose\.yaml:5:\d+: service "web": env_file\[0\] must be .*\(got nothing/);
  });

  it('a key written twice in one mapping is a located error naming the first line', () => {
    const error = composeError(composeFile('services:\n  web:\n    image: x\n    image: y\n'));
    expect(error.message).toMatch(/compose\.yaml:4:5: .*"image" is written twice.*line 3/);
  });
});

describe('other shapes found in the wild end as located errors', () => {
  it.each([
    ['two YAML documents', 'services: {}\n---\nservices: {}\n', /:2:1: the file holds more than one YAML document/],
    ['nesting thousands deep', `services:\n  web:\n    image: x\n    labels: ${'['.repeat(20_000)}${']'.repeat(20_000)}\n`, /:4:\d+: the YAML here is nested too deeply/],
    ['nesting 80 deep', `services:\n  web:\n    image: x\n    labels: ${'['.repeat(80)}${']'.repeat(80)}\n`, /:4:\d+: values here are nested more than 64 levels deep/],
    ['nesting stacked up by aliases', `x-a0: &a0 [1]\n${Array.from({ length: 70 }, (_, i) => `x-a${i + 1}: &a${i + 1} [*a${i}]`).join('\n')}\nservices: { web: { image: x } }\n`, /:\d+:\d+: values here are nested more than 64 levels deep \(counting what aliases bring in\)/],
    ['an alias inside its own anchor', 'x-a: &a { b: *a }\nservices: { web: { image: x } }\n', /:1:14: alias \*a is used inside the block its anchor "&a" names/],
    ['a list as a key', 'services:\n  ? [a, b]\n  : { image: x }\n', /:2:5: a key here is not plain text/],
    ['a service name with a space', 'services:\n  "my web":\n    image: x\n', /:2:3: service name "my web" may only have letters, digits/],
    ['a service that is empty', 'services:\n  web:\n', /:2:3: service "web" must be a mapping \(got nothing: give it a value, or remove the line\)/],
    ['!!binary where a string is expected', 'services:\n  web:\n    image: x\n    labels: { a: !!binary aGVsbG8= }\n', /:4:15: service "web": labels\.a must be .* \(got binary data/],
    ['a healthcheck test with no command', 'services:\n  web:\n    image: x\n    healthcheck: { test: ["CMD"] }\n', /:4:20: service "web": healthcheck\.test as a list must be "CMD" or "CMD-SHELL" and then the command/],
    ['a number where a duration is expected', 'services:\n  web:\n    image: x\n    stop_grace_period: 10\n', /:4:5: service "web": stop_grace_period must be a duration such as 10s or 1m30s \(got a number\)/],
  ])('%s', (_what, text, message) => {
    expect(composeError(composeFile(text)).message).toMatch(message);
  });

  it('__proto__ and constructor are plain names', () => {
    const project = parse(composeFile('services:\n  __proto__:\n    image: x\n  web:\n    image: y\n    environment: { constructor: z, __proto__: q }\n'));
    expect(project.services.map((s) => s.name)).toEqual(['__proto__', 'web']);
    expect(Object.entries(project.services[1]!.environment)).toEqual([['constructor', 'z'], ['__proto__', 'q']]);
    expect(Object.getPrototypeOf(project.services[1]!.environment)).toBe(Object.prototype);
  });
});

describe('size and alias amplification are bounded', () => {
  it('a file over 10 MB is refused with a clear message', () => {
    const file = composeFile('');
    truncateSync(file, 11 * 1024 * 1024);
    expect(composeError(file).message).toMatch(/compose\.yaml: .*11(\.0)? MB.*at most 10 MB/);
  });

  it('an alias-amplified file (small, but aliases expand it to millions of values) is refused with a clear message', () => {
    const big = Array.from({ length: 3000 }, (_, i) => `  VARIABLE_${i}: "value ${i}"`).join('\n');
    const services = Array.from({ length: 400 }, (_, i) => `  s${i}: { image: x, environment: *big }`).join('\n');
    const file = composeFile(`x-big: &big\n${big}\nservices:\n${services}\n`);
    expect(composeError(file).message).toMatch(/compose\.yaml:\d+:\d+: YAML aliases .* expand this file to more than [\d,]+ values/);
  });

  it('a 5 MB ordinary file (anchors used thousands of times) parses to the right number of services, warnings located', () => {
    const { text, services } = generateLargeCompose(5 * 1024 * 1024);
    const project = parse(composeFile(text));
    expect(project.services).toHaveLength(services);
    const last = project.services.at(-1)!;
    expect(last.healthcheck).toMatchObject({ intervalMs: 10_000, retries: 3 });
    expect(last.tall).toMatchObject({ balance: 'least-connection', readiness: { path: '/ready' } });
    expect(last.environment.SETTING_3).toBe(`value-3-for-service-${services - 1}`);
    // every service has ports (ignored on purpose) and healthcheck.start_interval (not supported): two warnings each
    expect(project.warnings).toHaveLength(services * 2);
    expect(project.warnings.every((w) => w.line !== undefined && w.line > 1)).toBe(true);
  });
});

describe('interpolation like Compose', () => {
  const env = { SET: 'value', EMPTY: '', C: 'see' };
  it.each([
    ['${SET}', 'value'],
    ['$SET/x', 'value/x'],
    ['${MISSING:-fallback}', 'fallback'],
    ['${EMPTY:-fallback}', 'fallback'],
    ['${EMPTY-fallback}', ''],
    ['${MISSING-${SET}}', 'value'],
    ['${SET:+alt}', 'alt'],
    ['${SET+alt}', 'alt'],
    ['${MISSING+alt}', ''],
    ['$${LITERAL}', '${LITERAL}'],
    ['a $ b $1', 'a $ b $1'],
    ['${X:-${Y:-z}}', 'z'],
    ['${X:-${SET:-z}}/tail', 'value/tail'],
    ['${A:-${B:-${C}}}', 'see'],
    ['${A:-${B:-${D:-deep}}}!', 'deep!'],
    ['${A:-{braces}}', '{braces}'],
    ['${A:-x}${B:-y}', 'xy'],
  ])('%s → %s', (input, expected) => expect(interpolate(input, env)).toBe(expected));

  it.each([
    ['${UNCLOSED', /no closing "}"/],
    ['${1}', /invalid interpolation "\$\{1\}"/],
    ['${A:-${B}', /no closing "}"/],
    ['${X?}', /required variable X is missing a value/],
  ])('%s is an error', (input, message) => expect(() => interpolate(input, env)).toThrow(message));

  it('an interpolation error in the file is located', () => {
    const error = composeError(composeFile('services:\n  web:\n    image: x\n    environment:\n      KEY: ${API_KEY:?set API_KEY}\n'));
    expect(error.message).toMatch(/compose\.yaml:5:7: service "web": environment.KEY: required variable API_KEY is missing a value: set API_KEY/);
  });
});

describe('values that were silently wrong', () => {
  it('healthcheck.test: 42 is an error', () => {
    const error = composeError(composeFile('services:\n  catalog:\n    image: x\n    healthcheck:\n      test: 42\n'));
    expect(error.message).toBe(`${error.file}:5:7: service "catalog": healthcheck.test must be a string or a list of strings (got a number)`);
  });

  it('deploy.replicas: ${UNSET} is an error naming the variable and the field', () => {
    const error = composeError(composeFile('services:\n  web:\n    image: x\n    deploy:\n      replicas: ${UNSET}\n'));
    expect(error.message).toMatch(/compose\.yaml:5:7: service "web": deploy\.replicas must be a whole number, got "" from "\$\{UNSET\}" \(UNSET is not set\)/);
  });

  it('deploy.replicas written as an interpolated string is converted to a number', () => {
    const project = parse(composeFile('services:\n  web:\n    image: x\n    deploy:\n      replicas: ${N:-3}\n'));
    expect(project.services[0]!.replicas).toBe(3);
  });

  it('environment: "PORT=3000" is an error (a mapping or a list)', () => {
    const error = composeError(composeFile('services:\n  web:\n    image: x\n    environment: "PORT=3000"\n'));
    expect(error.message).toMatch(/compose\.yaml:4:5: service "web": environment must be a mapping or a list of strings \(got a string\)/);
  });

  it('command: null means no command, as in Compose', () => {
    const project = parse(composeFile('services:\n  web:\n    image: x\n    command: null\n'));
    expect(project.services[0]!.command).toBeUndefined();
  });

  it('a command string with quotes is an error asking for the list form (it would be split at every space)', () => {
    const error = composeError(composeFile(`services:\n  web:\n    image: x\n    command: node -e "console.log('hi there')"\n`));
    expect(error.message).toMatch(/compose\.yaml:4:5: service "web": command .*quotes.*as a list/);
  });

  it('healthcheck.retries: lots is an error', () => {
    const error = composeError(composeFile('services:\n  web:\n    image: x\n    healthcheck:\n      test: ["CMD", "true"]\n      retries: lots\n'));
    expect(error.message).toMatch(/compose\.yaml:6:7: service "web": healthcheck\.retries must be a whole number, got "lots"/);
  });

  it('mappings or lists where a string is expected are errors, never "[object Object]"', () => {
    const error = composeError(composeFile([
      'services:',
      '  web:',
      '    image: { name: x }',
      '    environment:',
      '      MODE: { a: 1 }',
      '    x-tall:',
      '      readiness: { path: [a] }',
      '      process: { command: [node, { script: x }] }',
      '',
    ].join('\n')));
    expect(error.problems.map((p) => p.message.replace(`${error.file}:`, ''))).toEqual([
      '3:5: service "web": image must be a string (got a mapping)',
      '5:7: service "web": environment.MODE must be a string, a number, true or false, or empty (got a mapping)',
      '7:20: service "web": x-tall.readiness.path must be a string (got a list)',
      '8:34: service "web": x-tall.process.command[1] must be a string (got a mapping)',
    ]);
  });

  it('warns about every unsupported field at every level, with its line', () => {
    const file = composeFile([
      'services:',
      '  web:',
      '    build:',
      '      context: .',
      '      target: prod',
      '    healthcheck:',
      '      test: ["CMD", "true"]',
      '      start_interval: 1s',
      '    deploy:',
      '      labels: { a: b }',
      '      resources: { limits: { cpus: "0.5" } }',
      '      placement: { constraints: [] }',
      '      restart_policy: { condition: any, x-note: 1, unknown: 2 }',
      '      rollback_config: { parallelism: 1 }',
      '    depends_on:',
      '      db: { condition: service_started, restart: true }',
      '    env_file:',
      '      - { path: ./.env, required: false, format: raw }',
      '    x-tall:',
      '      readiness: { path: /ready, period: 2s }',
      '      autoscale: { min: 1, max: 3, target: { rps_per_instance: 30 }, cooldown: 5s }',
      '      colour: blue',
      '    privileged: true',
      '  db:',
      '    image: postgres',
      'configs: {}',
      '',
    ].join('\n'));
    expect(warningsOf(parse(file))).toEqual([
      '5:7: service "web": "build.target" is passed to Docker Compose, but the process runtime ignores it',
      '8:7: service "web": "healthcheck.start_interval" is not supported by the kit and is ignored',
      '10:7: service "web": "deploy.labels" is not supported by the kit and is ignored',
      '12:7: service "web": "deploy.placement" is not supported by the kit and is ignored',
      '13:52: service "web": "deploy.restart_policy.unknown" is not supported by the kit and is ignored',
      '14:7: service "web": "deploy.rollback_config" is not supported by the kit and is ignored',
      '16:41: service "web": "depends_on.db.restart" is not supported by the kit and is ignored',
      '18:42: service "web": "env_file[0].format" is not supported by the kit and is ignored',
      '20:34: service "web": "x-tall.readiness.period" is not a kit setting (known: path, interval, timeout, failure_threshold)',
      '21:70: service "web": "x-tall.autoscale.cooldown" is not a kit setting (known: min, max, target, scale_up_window, scale_down_window)',
      '22:7: service "web": "x-tall.colour" is not a kit setting (known: process, readiness, route, balance, timeouts, metrics_path, autoscale, deploy, bind)',
      '23:5: service "web": "privileged" is not supported by the kit and is ignored',
      '26:1: top-level "configs" is not supported by the kit and is ignored',
    ]);
  });

  it('depends_on.<svc>.required: false drops a missing optional dependency, with a warning', () => {
    const project = parse(composeFile('services:\n  web:\n    image: x\n    depends_on:\n      cache: { condition: service_started, required: false }\n'));
    expect(project.services[0]!.dependsOn).toEqual({});
    expect(warningsOf(project)).toEqual(['5:7: service "web": depends on "cache", which is not a service; left out, as it is required: false']);
    const required = composeError(composeFile('services:\n  web:\n    image: x\n    depends_on:\n      cache: { condition: service_started }\n'));
    expect(required.message).toMatch(/compose\.yaml:5:7: service "web" depends on "cache", which is not a service \(services: web\)/);
  });

  it('env_file with required: false is skipped when missing; a missing required one is a located error', () => {
    const project = parse(composeFile('services:\n  web:\n    image: x\n    env_file:\n      - ./present.env\n      - { path: ./absent.env, required: false }\n', { 'present.env': 'A=1\n' }));
    expect(project.services[0]!.environment).toEqual({ A: '1' });
    const error = composeError(composeFile('services:\n  web:\n    image: x\n    env_file:\n      - ./present.env\n      - ./absent.env\n', { 'present.env': 'A=1\n' }));
    expect(error.message).toMatch(/compose\.yaml:6:9: service "web": env_file .*absent\.env does not exist.*required: false/);
  });

  it('expose: ["3000-3005"] uses the first port and warns that the platform uses one port per instance', () => {
    const project = parse(composeFile('services:\n  web:\n    image: x\n    expose: ["3000-3005"]\n'));
    expect(project.services[0]!.containerPort).toBe(3000);
    expect(warningsOf(project)).toEqual([expect.stringMatching(/^4:\d+: service "web": expose "3000-3005" is a range; the platform uses its first port, 3000/)]);
    expect(composeError(composeFile('services:\n  web:\n    image: x\n    expose: ["http"]\n')).message).toMatch(/compose\.yaml:4:\d+: service "web": expose\[0\] must be a port .*got "http"/);
  });

  it('service-level scale is the replica count; deploy.replicas wins when both are set and differ, with a warning', () => {
    expect(parse(composeFile('services:\n  web:\n    image: x\n    scale: 3\n')).services[0]!.replicas).toBe(3);
    const both = parse(composeFile('services:\n  web:\n    image: x\n    scale: 3\n    deploy: { replicas: 2 }\n'));
    expect(both.services[0]!.replicas).toBe(2);
    expect(warningsOf(both)).toEqual([expect.stringMatching(/^4:5: service "web": scale \(3\) and deploy\.replicas \(2\) differ; deploy\.replicas is used/)]);
  });
});

describe('dependencies', () => {
  it('a depends_on cycle is a located error naming the cycle', () => {
    const error = composeError(composeFile('services:\n  a:\n    image: x\n    depends_on: [b]\n  b:\n    image: x\n    depends_on: [c]\n  c:\n    image: x\n    depends_on: [a]\n'));
    expect(error.message).toMatch(/compose\.yaml:4:5: service "a": depends_on forms a cycle: a → b → c → a/);
  });

  it('a service that depends on itself is a cycle too', () => {
    expect(composeError(composeFile('services:\n  a:\n    image: x\n    depends_on: [a]\n')).message).toMatch(/cycle: a → a/);
  });
});

describe('errors carry what was found before and beside them', () => {
  it('a ComposeError carries the warnings gathered so far (e.g. a file using extends)', () => {
    const error = composeError(composeFile('services:\n  base:\n    image: x\n  web:\n    extends: base\n'));
    expect(error.message).toMatch(/compose\.yaml:4:\d+: service "web": needs "build" or "image"/);
    expect(error.warnings.map((w) => `${w.line}: ${w.message}`)).toEqual([
      '5: service "web": "extends" is not supported by the kit and is ignored',
    ]);
  });

  it('schema errors come all at once: the first is thrown, problems lists every one, in file order', () => {
    const error = composeError(composeFile('services:\n  a:\n    image: [x]\n  b:\n    image: x\n    healthcheck: { test: 1, retries: many }\n'));
    expect(error.message).toMatch(/compose\.yaml:3:5: service "a": image must be a string/);
    expect(error.problems.map((p) => `${p.line}:${p.column}`)).toEqual(['3:5', '6:20', '6:29']);
  });
});

describe('the Compose specification schema', () => {
  it('names file:line:column and a readable expectation for enum errors', () => {
    const error = composeError(composeFile('services:\n  web:\n    image: x\n    depends_on:\n      db: { condition: started }\n  db:\n    image: y\n'));
    expect(error.message).toMatch(/compose\.yaml:5:13: service "web": depends_on\.db\.condition must be one of service_started, service_healthy, service_completed_successfully \(got "started"\)/);
  });

  it('fields newer than the schema copy are warnings, not errors', () => {
    const project = parse(composeFile('services:\n  web:\n    image: x\n    develop: { watch: [] }\n    healthcheck:\n      test: ["CMD", "true"]\n      start_interval: 1s\n'));
    expect(warningsOf(project)).toEqual([
      '4:5: service "web": "develop" is not supported by the kit and is ignored',
      '7:7: service "web": "healthcheck.start_interval" is not supported by the kit and is ignored',
    ]);
  });

  it('x-tall is checked too', () => {
    const error = composeError(composeFile('services:\n  web:\n    image: x\n    x-tall:\n      balance: random\n'));
    expect(error.message).toMatch(/compose\.yaml:5:7: service "web": x-tall\.balance must be one of round-robin, least-connection \(got "random"\)/);
  });
});
