// Prints one line per lab of the self-test reports given (runtime, time, ok) and, for a lab that failed, what went
// wrong: the streams' own logs are printed earlier, and CI keeps only the end of its output.
import { existsSync, readFileSync } from 'node:fs';

let ok = true;
for (const file of process.argv.slice(2)) {
  if (!existsSync(file)) {
    console.log(`labs self-test: ${file} was not written (its stream did not finish)`);
    ok = false;
    continue;
  }
  const report = JSON.parse(readFileSync(file, 'utf8'));
  ok &&= report.ok;
  for (const row of report.rows) {
    const fixtures = row.fixtures ? `, fixtures ${row.fixtures.filter((fixture) => fixture.ok).length}/${row.fixtures.length} as expected` : '';
    const good = row.starterOk && row.solutionOk && (row.fixtures ?? []).every((fixture) => fixture.ok);
    console.log(`labs self-test: lab ${row.lab} ${row.runtime} ${good ? 'ok' : 'FAILED'} (${row.seconds} s: starter ${row.starter}; solution ${row.solution}${fixtures})`);
    if (!good) for (const line of (row.details ?? []).slice(0, 6)) console.log(`  ${line.replace(/\s+/g, ' ').slice(0, 400)}`);
  }
}
process.exit(ok ? 0 : 1);
