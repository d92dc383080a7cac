/**
 * `tall check --all`: every lab that has checks, in the manifest's order, each in a session of its own (as `tall check NN`
 * runs it), so one lab's environments never leak into the next. Ctrl-C stops the lab in progress and runs no more.
 */
import type { Lab, Manifest } from './manifest.js';
import { CheckSession, type LabResult, type SessionOptions } from './runner.js';

/** The labs `--all` runs: those with a checks.ts, in the manifest's order. */
export function labsWithChecks(manifest: Manifest): Lab[] {
  return manifest.labs.filter((lab) => lab.available);
}

export interface AllLabsHooks {
  /** before a lab's session starts */
  starting?(lab: Lab): void;
  /** the lab's verdict is in; its throwaway platform is torn down after */
  finished?(lab: Lab, result: LabResult): void;
  /** around the teardown of a lab's session */
  closing?(lab: Lab): void;
  closed?(lab: Lab): void;
}

export class AllLabsRun {
  private current?: CheckSession;
  private stopped = false;
  readonly results: LabResult[] = [];

  constructor(private readonly options: SessionOptions) {}

  /** Ctrl-C, or the run was stopped: no lab after this one starts. */
  get interrupted(): boolean {
    return this.stopped;
  }

  interrupt(): void {
    this.stopped = true;
    this.current?.interrupt();
  }

  async run(labs: Lab[], hooks: AllLabsHooks = {}): Promise<LabResult[]> {
    for (const lab of labs) {
      if (this.stopped) break;
      hooks.starting?.(lab);
      const session = new CheckSession(this.options);
      this.current = session;
      try {
        const result = await session.runLab(lab);
        this.results.push(result);
        hooks.finished?.(lab, result);
        if (result.interrupted) this.stopped = true;
      } finally {
        hooks.closing?.(lab);
        await session.close();
        this.current = undefined;
        hooks.closed?.(lab);
      }
    }
    return this.results;
  }
}
