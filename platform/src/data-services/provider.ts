import type { EventEmitter } from 'node:events';
import type { PlatformEventType } from '../monitoring/event-log.js';
import type { RuntimeKind } from '../runtimes/runtime.js';
import type { InstanceRecord } from './broker-store.js';
import type { Plan } from './catalog.js';
import type { Credentials, Endpoint } from './credentials.js';

/** A running database server, as its provider knows it. */
export interface ServerHandle {
  /** process runtime: the server's process (its process group leader) and when it started */
  pid?: number;
  pidStartTime?: string;
  /** docker runtime */
  containerId?: string;
  /** where the platform reaches it (backups, readiness, a learner's psql): always on loopback */
  host: Endpoint;
  /** where bound apps reach it: loopback for processes, a name on the project's network for containers */
  app: Endpoint;
}

export interface StartRequest {
  record: InstanceRecord;
  credentials: Credentials;
  plan: Plan;
  progress: (line: string) => void;
  /** something worth an event (a port that was taken, a server a dead control plane left behind) */
  notice: (type: PlatformEventType, message: string) => void;
}

/**
 * One runtime's way of running a database server per service instance: the broker above decides what exists and who is
 * bound; a provider only creates storage, starts, stops, dumps and restores. Both keep the data across restarts of the
 * server and of the platform, until destroy().
 *
 * Events:
 *  - 'exit' (name: string, detail: string)  a server ended without being asked to (the resurrector's cue)
 *  - 'log'  (source: string, line: string)  one line of a server's output
 */
export interface DataProvider extends EventEmitter {
  readonly kind: RuntimeKind;
  /** where an instance keeps its data, said to people */
  storage(name: string): string;
  /** whether its storage exists already (a database that was created before) */
  hasStorage(name: string): Promise<boolean>;
  /** creates the storage if needed, starts the server and resolves once it accepts connections */
  start(request: StartRequest): Promise<ServerHandle>;
  /**
   * stops the server, keeping its data (a clean shutdown). `holdPort` (an operator's stop, to be started again): where
   * apps reach it by port, keep that port taken while it is down, so it starts again at the address apps were given.
   */
  stop(name: string, options?: { holdPort?: boolean }): Promise<void>;
  /** stops it and deletes its data */
  destroy(name: string): Promise<void>;
  /** a consistent dump (pg_dump's one snapshot) into `file`, by the server's own PostgreSQL version */
  dump(name: string, credentials: Credentials, file: string): Promise<void>;
  /** pg_restore --list of an archive: its table of contents; throws when it is not a PostgreSQL archive */
  listArchive(name: string, file: string): Promise<string>;
  /** restores an archive into the instance's database in one transaction: all of it, or nothing */
  restore(name: string, credentials: Credentials, file: string): Promise<void>;
  /** stops every server (the platform goes down); data stays */
  shutdown(): Promise<void>;
}
