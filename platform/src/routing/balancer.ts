import type { BalancingStrategy } from '../compose/model.js';

const NONE: ReadonlySet<string> = new Set();

/** One ready instance the router may send requests to. */
export interface Endpoint {
  /** "catalog/2" */
  id: string;
  host: string;
  port: number;
}

/**
 * The ready instances of one service and the choice among them.
 * In-flight counts outlive pool membership, so an instance that leaves the pool can still be drained.
 * An ejected member (passive health) stays a member but is not chosen, unless every member is ejected: then sending to
 * a doubtful instance beats answering 503 for sure (Envoy's panic mode).
 */
export class ServicePool {
  private members: Endpoint[] = [];
  private cursor = 0;
  private readonly inflight = new Map<string, number>();
  private readonly ejected = new Set<string>();

  constructor(public strategy: BalancingStrategy = 'round-robin') {}

  get size(): number {
    return this.members.length;
  }

  endpoints(): readonly Endpoint[] {
    return this.members;
  }

  add(endpoint: Endpoint): void {
    this.members = this.members.filter((member) => member.id !== endpoint.id).concat(endpoint);
  }

  remove(id: string): boolean {
    const before = this.members.length;
    this.members = this.members.filter((member) => member.id !== id);
    this.ejected.delete(id);
    return this.members.length !== before;
  }

  eject(id: string): void {
    if (this.has(id)) this.ejected.add(id);
  }

  restore(id: string): boolean {
    return this.ejected.delete(id);
  }

  isEjected(id: string): boolean {
    return this.ejected.has(id);
  }

  get ejectedCount(): number {
    return this.ejected.size;
  }

  has(id: string): boolean {
    return this.members.some((member) => member.id === id);
  }

  /** Picks an endpoint, skipping `exclude` (ones that already failed this request). */
  pick(exclude: ReadonlySet<string> = NONE): Endpoint | undefined {
    // The common case, once per request: round-robin over healthy members, nothing to skip — no list is made.
    if (this.strategy === 'round-robin' && exclude.size === 0 && this.ejected.size === 0) {
      return this.members.length > 0 ? this.members[this.cursor++ % this.members.length] : undefined;
    }
    const untried = this.members.filter((member) => !exclude.has(member.id));
    const healthy = untried.filter((member) => !this.ejected.has(member.id));
    const candidates = healthy.length > 0 ? healthy : untried;
    if (candidates.length === 0) return undefined;
    if (this.strategy === 'least-connection') {
      // Ties go round-robin, so an idle service still spreads its load.
      const fewest = Math.min(...candidates.map((member) => this.inflightOf(member.id)));
      const tied = candidates.filter((member) => this.inflightOf(member.id) === fewest);
      return tied[this.cursor++ % tied.length];
    }
    return candidates[this.cursor++ % candidates.length];
  }

  inflightOf(id: string): number {
    return this.inflight.get(id) ?? 0;
  }

  begin(id: string): void {
    this.inflight.set(id, this.inflightOf(id) + 1);
  }

  end(id: string): void {
    const remaining = this.inflightOf(id) - 1;
    if (remaining > 0) this.inflight.set(id, remaining);
    else this.inflight.delete(id);
  }
}
