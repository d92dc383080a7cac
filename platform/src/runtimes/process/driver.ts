import type { InstanceView } from '../../control-plane/instance.js';
import type { PlatformState } from '../../control-plane/state-file.js';
import { isAlive, isSameProcess, killGroupIfSame } from '../../util/process-identity.js';
import type { RuntimeDriver } from '../registry.js';
import { ProcessRuntime } from './process-runtime.js';

/** The embedded runtime: each instance a supervised local process. It works wherever Node does. */
export const processDriver: RuntimeDriver = {
  kind: 'process',
  idLabel: 'PID',
  idOf: (instance) => (instance.pid === undefined ? undefined : String(instance.pid)),
  availability: async () => ({ ok: true, detail: 'each instance a local process (no Docker needed)' }),
  async create(env, routerPort, variables, containment) {
    const interpolation = { ...variables, ROUTER_URL: `http://127.0.0.1:${routerPort}` };
    return { runtime: new ProcessRuntime({ envName: env.name, containment }), extraRouterHosts: [], interpolation };
  },
  async leftovers(record) {
    return processesOf(record).filter(stillOurs).map(describe);
  },
  async cleanUpLeftovers(record) {
    const killed = processesOf(record).filter((instance) => instance.pid !== undefined && killGroupIfSame(instance.pid, instance.pidStartTime));
    // Wait until they are really gone, so what starts next finds their ports and files free.
    const deadline = Date.now() + 3000;
    while (killed.some(stillOurs) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    return killed.map(describe);
  },
  async signal(instance, signal) {
    if (!instance.pid || !isSameProcess(instance.pid, instance.pidStartTime)) throw new Error(`${instance.id} is not running (no live pid)`);
    // The whole group, as the platform's own stop does: a contained instance's pid is its sandbox, not the program.
    process.kill(-instance.pid, signal);
  },
};

/** The instances' processes and the data services' database servers, each as { id, pid, pidStartTime }. */
function processesOf(record: PlatformState): Pick<InstanceView, 'id' | 'pid' | 'pidStartTime'>[] {
  return [...record.instances, ...(record.dataServers ?? []).map((server) => ({ id: `database server of ${server.name}`, pid: server.pid, pidStartTime: server.pidStartTime }))];
}

function stillOurs(instance: Pick<InstanceView, 'pid' | 'pidStartTime'>): boolean {
  return instance.pid !== undefined && isAlive(instance.pid) && isSameProcess(instance.pid, instance.pidStartTime);
}

const describe = (instance: Pick<InstanceView, 'id' | 'pid'>) => `${instance.id} (pid ${instance.pid})`;
