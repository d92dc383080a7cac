import { Command, CommanderError } from 'commander';
import { ApiError } from '../control-plane/api-client.js';
import { UserError } from '../control-plane/user-error.js';
import { CliError, color } from './output.js';
import { registerConfig } from './verbs/config.js';
import { registerDoctor } from './verbs/doctor.js';
import { registerDown } from './verbs/down.js';
import { registerEvents } from './verbs/events.js';
import { registerDashboard } from './verbs/dashboard.js';
import { registerKill } from './verbs/kill.js';
import { registerChaos } from './verbs/chaos.js';
import { registerLoad } from './verbs/load.js';
import { registerLogs } from './verbs/logs.js';
import { registerPs } from './verbs/ps.js';
import { registerScale } from './verbs/scale.js';
import { registerDeploy } from './verbs/deploy.js';
import { registerGraduate } from './verbs/graduate.js';
import { registerRollback } from './verbs/rollback.js';
import { registerUp } from './verbs/up.js';
import { registerLabVerbs } from './verbs/lab-verbs.js';
import { registerDev } from './verbs/dev.js';
import { registerGrade } from './verbs/grade.js';
import { registerMarketplace } from './verbs/marketplace.js';
import { registerService } from './verbs/service.js';
import { registerServices } from './verbs/services.js';
import { registerSlidesCommand } from '../slides/command.js';

// `tall logs | head`: once the reader has gone, nothing more can be said to anyone. Exit quietly, as git does, rather
// than with an EPIPE stack trace; 0 when stdout went (the reader had what it wanted), the verb's own code otherwise.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    process.exit(stream === process.stdout ? 0 : (process.exitCode ?? 0));
  });
}

const program = new Command('tall')
  .description('Tall Enough: the workshop platform. Deploy, scale, fail over and watch the shop in services/.')
  .showHelpAfterError('(run with --help for usage)')
  .exitOverride();

for (const register of [registerDoctor, registerConfig, registerUp, registerDown, registerPs, registerScale, registerDeploy, registerRollback, registerKill, registerChaos, registerLoad, registerLogs, registerEvents, registerDashboard, registerMarketplace, registerServices, registerService, registerSlidesCommand, registerLabVerbs, registerDev, registerGrade, registerGraduate]) register(program);

try {
  rejectUnknownVerb(program, process.argv.slice(2));
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    process.exitCode = error.exitCode === 0 ? 0 : 2;
  } else if (error instanceof CliError) {
    console.error(color.red(`error: ${error.message}`));
    if (error.fix) console.error(`fix: ${error.fix}`);
    process.exitCode = error.exitCode;
  } else if (error instanceof ApiError || error instanceof UserError) {
    console.error(color.red(`error: ${error.message}`));
    if (error.fix) console.error(`fix: ${error.fix}`);
    process.exitCode = 1;
  } else {
    throw error;
  }
}

/**
 * Commander prints the general help for `tall frobnicate --help` and exits 0, as if the verb existed; a script or a
 * learner deserves the same usage error `tall frobnicate` gives.
 */
function rejectUnknownVerb(root: Command, args: string[]): void {
  const verb = args[0];
  if (!verb || verb.startsWith('-') || verb === 'help') return;
  if (root.commands.some((command) => command.name() === verb || command.aliases().includes(verb))) return;
  root.error(`error: unknown command '${verb}'. The verbs: ${root.commands.map((command) => command.name()).join(', ')}`, { exitCode: 2, code: 'commander.unknownCommand' });
}
