import { spawn, type ChildProcess } from 'node:child_process';

/**
 * Instances must not outlive their control plane: a control plane killed with SIGKILL can't stop anything itself. So each
 * runtime keeps a reaper beside it, a tiny `sh` loop (about a megabyte, where a second Node process would take forty)
 * that reads from a pipe the control plane holds: "+<pgid>" for each process group started, "-<pgid>" when it ends.
 * When the pipe closes without "done" — the control plane is gone, however it died — the reaper kills every group still
 * listed and runs the runtime's own clean-up line (e.g. removing the Docker project), then exits. It ignores the signals a
 * `pkill` of the kit would send, so it outlives the control plane by exactly that moment.
 */
const SCRIPT = `
trap '' INT TERM HUP
groups=' '
while IFS= read -r line; do
  case "$line" in
    +*) groups="$groups\${line#+} " ;;
    -*) groups=$(printf '%s' "$groups" | sed "s/ \${line#-} / /") ;;
    done) exit 0 ;;
  esac
done
for group in $groups; do kill -s KILL -- "-$group" 2>/dev/null; done
[ -n "$1" ] && sh -c "$1"
exit 0
`;

export class Reaper {
  private readonly child?: ChildProcess;

  /** `cleanUpShellLine`: run by the reaper after the control plane died (for what is not a process group of ours). */
  constructor(cleanUpShellLine = '') {
    // Windows has neither sh nor process groups: there `tall up` and `tall down` clean up after a dead control plane.
    if (process.platform === 'win32') return;
    this.child = spawn('sh', ['-c', SCRIPT, 'tall-reaper', cleanUpShellLine], { stdio: ['pipe', 'ignore', 'ignore'], detached: true });
    this.child.on('error', () => undefined);
    this.child.stdin?.on('error', () => undefined);
    this.child.unref();
  }

  watch(pgid: number | undefined): void {
    if (pgid !== undefined) this.send(`+${pgid}`);
  }

  unwatch(pgid: number | undefined): void {
    if (pgid !== undefined) this.send(`-${pgid}`);
  }

  /** The control plane cleaned up itself: the reaper leaves without killing anything. */
  dismiss(): void {
    this.send('done');
    this.child?.stdin?.end();
  }

  private send(line: string): void {
    const stdin = this.child?.stdin;
    if (stdin && !stdin.destroyed && stdin.writable) stdin.write(`${line}\n`);
  }
}
