import { existsSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import type { RuntimeKind } from '../runtimes/runtime.js';
import { ensurePrivateDir, writePrivateFile } from '../util/private-files.js';
import type { Credentials } from './credentials.js';

/** Open Service Broker's last-operation states, as `cf services` shows them. */
export type OperationState = 'in progress' | 'succeeded' | 'failed';

export interface LastOperation {
  type: 'create' | 'delete';
  state: OperationState;
  description: string;
  updatedAt: string;
}

export interface BindingRecord {
  /** the app service the instance is bound to */
  app: string;
  createdAt: string;
  /** from the compose file (`x-tall.bind`), made again by every `tall up` */
  declared: boolean;
}

/** One service instance as the broker remembers it across `tall down` + `tall up`. No secret in here. */
export interface InstanceRecord {
  name: string;
  service: string;
  plan: string;
  createdAt: string;
  /** declared in the compose file's top-level x-tall.services */
  declared: boolean;
  /** the runtime whose storage holds its data (a folder for process, a named volume for docker) */
  runtime?: RuntimeKind;
  /** process runtime: the port it had, which it asks for again next time */
  port?: number;
  /** process runtime: its server while it runs, so a later start can stop one a dead control plane left behind */
  pid?: number;
  pidStartTime?: string;
  lastOperation: LastOperation;
  bindings: BindingRecord[];
}

interface BrokerFile {
  instances: InstanceRecord[];
}

/**
 * The broker's memory, under .tall/<env>/data-services/ (0700): broker.json (instances, bindings, last operations) and
 * credentials.json (0600, the only plain copy of the passwords besides bound apps' environments). Kept apart so the
 * broker's state can be read, shown and reported on without a secret in it.
 */
export class BrokerStore {
  readonly dir: string;
  private readonly stateFile: string;
  private readonly secretsFile: string;
  private file: BrokerFile;
  private secrets: Record<string, Credentials>;

  constructor(stateDir: string) {
    this.dir = ensurePrivateDir(join(stateDir, 'data-services'));
    this.stateFile = join(this.dir, 'broker.json');
    this.secretsFile = join(this.dir, 'credentials.json');
    this.file = readJson<BrokerFile>(this.stateFile) ?? { instances: [] };
    this.secrets = readJson<Record<string, Credentials>>(this.secretsFile) ?? {};
  }

  instances(): InstanceRecord[] {
    return this.file.instances;
  }

  get(name: string): InstanceRecord | undefined {
    return this.file.instances.find((instance) => instance.name === name);
  }

  credentials(name: string): Credentials | undefined {
    return this.secrets[name];
  }

  add(record: InstanceRecord, credentials: Credentials): void {
    this.file.instances.push(record);
    this.secrets[record.name] = credentials;
    this.save();
  }

  remove(name: string): void {
    this.file.instances = this.file.instances.filter((instance) => instance.name !== name);
    delete this.secrets[name];
    this.save();
  }

  /** Writes both files (each replaced whole, so a crash mid-write leaves the previous version). */
  save(): void {
    ensurePrivateDir(this.dir);
    writeAtomically(this.secretsFile, JSON.stringify(this.secrets, null, 2));
    writeAtomically(this.stateFile, JSON.stringify(this.file, null, 2));
  }
}

function writeAtomically(file: string, text: string): void {
  const temporary = `${file}.${process.pid}.tmp`;
  writePrivateFile(temporary, text);
  renameSync(temporary, file);
}

function readJson<T>(file: string): T | undefined {
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
}
