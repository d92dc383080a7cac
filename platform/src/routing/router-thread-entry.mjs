// Entry of the router's worker thread: workers don't inherit the tsx loader, so register it before loading TypeScript.
import { register } from 'tsx/esm/api';

register();
await import('./router-thread.ts');
