import type { ApiHandler } from '../control-plane/api-server.js';
import type { DataServices } from './data-services.js';

/** The control plane's API for data services (platform-client.ts calls these; nothing here returns a secret). */
export function dataServiceRoutes(data: DataServices): Record<string, ApiHandler> {
  const { broker } = data;
  return {
    'POST /data/catalog': async () => broker.catalog(),
    'POST /data/instances': async () => broker.instances(),
    'POST /data/create': async (body) => {
      const view = broker.provision({ name: String(body.name), service: String(body.service), plan: body.plan === undefined ? undefined : String(body.plan) });
      return body.wait ? broker.settled(view.name) : view;
    },
    'POST /data/last-operation': async (body) => ({ name: String(body.name), lastOperation: broker.lastOperation(String(body.name)) }),
    'POST /data/bind': async (body) => data.bind(String(body.app), String(body.instance)),
    'POST /data/unbind': async (body) => data.unbind(String(body.app), String(body.instance)),
    'POST /data/delete': async (body) => {
      await broker.deprovision(String(body.name));
      return { name: String(body.name), deleted: true };
    },
    'POST /data/stop': async (body) => broker.stopServer(String(body.name)),
    'POST /data/start': async (body) => broker.startServer(String(body.name)),
    'POST /data/backup': async (body) => broker.backup(String(body.name)),
    'POST /data/backups': async (body) => {
      broker.view(String(body.name));
      return broker.backups.list(String(body.name));
    },
    'POST /data/restore': async (body) => broker.restore(String(body.name), String(body.backup)),
  };
}
