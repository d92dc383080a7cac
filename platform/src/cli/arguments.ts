import { InvalidArgumentError } from 'commander';
import type { RuntimeKind } from '../runtimes/runtime.js';
import { UserError } from '../control-plane/user-error.js';

export function parseRuntime(value: string): RuntimeKind {
  if (value !== 'process' && value !== 'docker') throw new InvalidArgumentError('must be "process" or "docker".');
  return value;
}

export function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new InvalidArgumentError('must be a port number between 1 and 65535.');
  return port;
}

export function parseReplicas(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError(`"${value}" is not a number of instances; use a whole number ≥ 0, e.g. 3.`);
  const count = Number(value);
  if (count > 20) throw new InvalidArgumentError('at most 20 instances per service on a laptop.');
  return count;
}

/** "catalog" or "catalog/2" */
export function parseInstanceRef(value: string): { service: string; index?: number } {
  const match = /^([a-z0-9][a-z0-9_-]*)(?:\/(\d+))?$/i.exec(value);
  if (!match) throw new InvalidArgumentError('expected <service> or <service>/<index>, e.g. catalog/2.');
  return { service: match[1]!, index: match[2] === undefined ? undefined : Number(match[2]) };
}

/** A parser that says what is wrong with a UserError, as commander wants it said: a usage error (exit code 2). */
export function asArgument<T>(parse: (value: string, previous: T) => T): (value: string, previous: T) => T {
  return (value, previous) => {
    try {
      return parse(value, previous);
    } catch (error) {
      if (error instanceof UserError) throw new InvalidArgumentError(error.message);
      throw error;
    }
  };
}
