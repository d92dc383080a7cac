import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCompose } from '../../src/compose/parse-compose.js';
import type { ServiceSpec } from '../../src/compose/model.js';
import { instanceId, type Instance } from '../../src/control-plane/instance.js';
import type { Fleet } from '../../src/delivery/fleet.js';
import { rollInstances, type RollPlan } from '../../src/delivery/rolling-update.js';
import { watchErrors } from '../../src/delivery/error-watch.js';
import { VersionHistory } from '../../src/delivery/version-history.js';
import type { RedTotals } from '../../src/routing/router-metrics.js';

function compose(text: string) {
  const dir = mkdtempSync(join(tmpdir(), 'delivery-'));
  writeFileSync(join(dir, 'compose.yaml'), text);
  return () => parseCompose(join(dir, 'compose.yaml'), { env: {} });
}

describe('deploy settings in the compose file', () => {
  it('reads update_config with the kit\'s defaults (failure_action rollback) and x-tall.deploy', () => {
    const [web, api] = compose([
      'services:',
      '  web:',
      '    image: x',
      '    deploy: { update_config: { parallelism: 2, delay: 1s, order: start-first, failure_action: pause, monitor: 2s, max_failure_ratio: 0.5 } }',
      '    x-tall: { deploy: blue-green }',
      '  api:',
      '    image: y',
      '    deploy: { update_config: { parallelism: 0 } }',
      '',
    ].join('\n'))().services;
    expect(web!.updateConfig).toEqual({ parallelism: 2, delayMs: 1000, order: 'start-first', failureAction: 'pause', monitorMs: 2000, maxFailureRatio: 0.5 });
    expect(web!.tall.deploy).toBe('blue-green');
    expect(api!.updateConfig).toMatchObject({ parallelism: 0, failureAction: 'rollback', monitorMs: 5000, order: 'stop-first' });
    expect(api!.tall.deploy).toBe('rolling');
  });

  it('bad values are located errors', () => {
    expect(compose('services:\n  web:\n    image: x\n    x-tall:\n      deploy: canary\n')).toThrow(/compose\.yaml:5:7: service "web": x-tall\.deploy must be one of rolling, blue-green \(got "canary"\)/);
    expect(compose('services:\n  web:\n    image: x\n    deploy:\n      update_config:\n        failure_action: retry\n')).toThrow(/compose\.yaml:6:9: service "web": deploy\.update_config\.failure_action must be one of rollback, pause, continue; got "retry"/);
    expect(compose('services:\n  web:\n    image: x\n    deploy:\n      update_config:\n        max_failure_ratio: 2\n')).toThrow(/compose\.yaml:6:9: .*max_failure_ratio must be between 0 and 1, got 2/);
  });
});

/** A fleet of pretend instances: each new one gets ready (or crashes, for a spec whose environment says so) at once. */
function fakeFleet(initial: number) {
  const spec = { name: 'web', version: 1, environment: {}, tall: { route: 'web' } } as unknown as ServiceSpec;
  const instances: Instance[] = [];
  const log: string[] = [];
  let next = 1;
  const make = (of: ServiceSpec, standby = false): Instance => {
    const instance = { service: 'web', index: next++, spec: of, standby, state: 'running', ready: of.environment.BROKEN !== 'yes', restarts: 0, startedAt: 0 } as unknown as Instance;
    if (of.environment.BROKEN === 'yes') instance.lastExit = { code: 3, signal: null, at: '' };
    instances.push(instance);
    log.push(`start ${instanceId(instance)} v${of.version}`);
    return instance;
  };
  for (let i = 0; i < initial; i++) make(spec);
  log.length = 0;
  const fleet: Fleet = {
    spec: () => spec,
    install: () => undefined,
    instancesOf: () => [...instances],
    add: async (of, count, options) => Array.from({ length: count }, () => make(of, options?.standby)),
    drainAndStop: async (instance) => {
      instances.splice(instances.indexOf(instance), 1);
      log.push(`stop ${instanceId(instance)}`);
    },
    setStandby: (instance, standby) => (instance.standby = standby),
    holds: (instance) => instances.includes(instance),
    closing: () => false,
    changed: () => undefined,
  };
  return { fleet, spec, instances, log };
}

const plan = (extra: Partial<RollPlan> = {}): RollPlan => ({ parallelism: 1, delayMs: 0, order: 'stop-first', monitorMs: 0, maxFailureRatio: 0, readyTimeoutMs: 1000, step: () => undefined, ...extra });

describe('rolling replacement', () => {
  it('stop-first one at a time; start-first two at a time', async () => {
    const stopFirst = fakeFleet(3);
    const v2 = { ...stopFirst.spec, version: 2 };
    const rolled = await rollInstances(stopFirst.fleet, v2, [...stopFirst.instances], plan());
    expect(rolled.failure).toBeUndefined();
    expect(stopFirst.log).toEqual(['stop web/1', 'start web/4 v2', 'stop web/2', 'start web/5 v2', 'stop web/3', 'start web/6 v2']);

    const startFirst = fakeFleet(3);
    await rollInstances(startFirst.fleet, v2, [...startFirst.instances], plan({ order: 'start-first', parallelism: 2 }));
    expect(startFirst.log).toEqual(['start web/4 v2', 'start web/5 v2', 'stop web/1', 'stop web/2', 'start web/6 v2', 'stop web/3']);
  });

  it('a new instance that crashes stops the roll with the reason, unless max_failure_ratio tolerates it', async () => {
    const { fleet, spec, instances, log } = fakeFleet(2);
    const broken = { ...spec, version: 2, environment: { BROKEN: 'yes' } };
    const rolled = await rollInstances(fleet, broken, [...instances], plan({ order: 'start-first' }));
    expect(rolled.failure).toBe('web/3 exited with code 3 before it was ready');
    expect(log).toEqual(['start web/3 v2', 'stop web/3']);
    expect(instances.map(instanceId)).toEqual(['web/1', 'web/2']);

    const tolerant = fakeFleet(2);
    const tolerated = await rollInstances(tolerant.fleet, broken, [...tolerant.instances], plan({ order: 'start-first', maxFailureRatio: 1 }));
    expect(tolerated.failure).toBeUndefined();
    expect(tolerated.tolerated).toHaveLength(2);
    expect(tolerant.instances.map(instanceId)).toEqual(['web/1', 'web/2']);
  });

  it('a monitor that objects ends the roll after its batch', async () => {
    const { fleet, spec, instances } = fakeFleet(3);
    const rolled = await rollInstances(fleet, { ...spec, version: 2 }, [...instances], plan({ monitorMs: 10, monitor: async () => 'too many 5xx' }));
    expect(rolled).toMatchObject({ failure: 'too many 5xx' });
    expect(rolled.replaced).toHaveLength(1);
  });

  it('failure_action: continue rolls on past failures and a monitor\'s objections, noting each', async () => {
    const { fleet, spec, instances, log } = fakeFleet(2);
    const rolled = await rollInstances(fleet, { ...spec, version: 2 }, [...instances], plan({ order: 'start-first', keepGoing: true, monitorMs: 10, monitor: async () => 'too many 5xx' }));
    expect(rolled.failure).toBeUndefined();
    expect(rolled.replaced).toHaveLength(2);
    expect(rolled.tolerated).toEqual(['too many 5xx', 'too many 5xx']);
    expect(log.filter((line) => line.startsWith('start'))).toHaveLength(2);

    const broken = fakeFleet(2);
    const past = await rollInstances(broken.fleet, { ...broken.spec, version: 2, environment: { BROKEN: 'yes' } }, [...broken.instances], plan({ order: 'start-first', keepGoing: true }));
    expect(past.failure).toBeUndefined();
    expect(past.tolerated).toHaveLength(2);
    expect(broken.instances.map(instanceId)).toEqual(['web/1', 'web/2']); // the old ones still serve
  });
});

describe('the error rate during a monitor window', () => {
  const totalsFrom = (readings: [number, number][]) => {
    let at = 0;
    return async (): Promise<Record<string, RedTotals>> => {
      const [requests, errors] = readings[Math.min(at++, readings.length - 1)]!;
      return { web: { requests, errors, buckets: [] } };
    };
  };

  it('5xx above the ratio is a reason; few answers or few errors are not', async () => {
    expect(await watchErrors(totalsFrom([[100, 0], [200, 30]]), 'web', 600, 0.05)).toMatch(/^30 of 100 answers were 5xx \(30\.0 %, more than 5\.0 %\)/);
    expect(await watchErrors(totalsFrom([[100, 0], [200, 2]]), 'web', 600, 0.05)).toBeUndefined();
    expect(await watchErrors(totalsFrom([[100, 0], [110, 10]]), 'web', 600, 0.05)).toBeUndefined();
  });
});

describe('versions', () => {
  it('numbers them, says what changed, and finds the previous good one', () => {
    const history = new VersionHistory();
    const v1 = { name: 'web', environment: { GREETING: 'a' }, replicas: 2 } as unknown as ServiceSpec;
    history.begin(v1);
    expect(history.previousGood('web')).toBeUndefined();
    history.add({ ...v1, version: 2, environment: { GREETING: 'b' } }, 'rolling', undefined);
    history.settle('web', 2, 'succeeded');
    history.add({ ...v1, version: 3, replicas: 3 }, 'rolling', undefined);
    history.settle('web', 3, 'rolled back', 'web/4 not ready within 30 s');
    const records = history.records('web');
    expect(records.map((record) => [record.version, record.outcome, record.active, record.changes])).toEqual([
      [1, 'succeeded', false, []],
      [2, 'succeeded', true, ['environment.GREETING']],
      [3, 'rolled back', false, ['environment.GREETING', 'replicas']],
    ]);
    expect(history.previousGood('web')?.version).toBe(1);
    expect(history.next('web')).toBe(4);
  });
});
