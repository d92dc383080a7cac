/**
 * Ctrl-C during a check: the first one stops the check and tears the throwaway platform down (that takes a few seconds);
 * a second one leaves at once (the next `tall check` cleans up whatever is left in its slot).
 */
export function onInterrupt(stop: () => void, quiet: boolean): () => void {
  let count = 0;
  const handler = (signal: NodeJS.Signals) => {
    count += 1;
    if (count === 1) {
      if (!quiet) console.error(`\n${signal === 'SIGINT' ? 'Ctrl-C' : signal}: stopping the checks and the throwaway platform… (press Ctrl-C again to leave now)`);
      stop();
    } else {
      process.exit(130);
    }
  };
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  for (const signal of signals) process.on(signal, handler);
  return () => {
    for (const signal of signals) process.off(signal, handler);
  };
}
