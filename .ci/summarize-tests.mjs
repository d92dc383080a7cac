// Prints each failed test with the start of its failure, then "tests: N passed, N failed, N skipped" and the count per
// runtime, from vitest's JSON report (CI keeps only the end of its output).
import { readFileSync } from 'node:fs';

const report = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const all = report.testResults.flatMap((file) => file.assertionResults);
const count = (tests, status) => tests.filter((test) => test.status === status).length;
// Tests that need an engine: the platform's suites on the docker runtime, and the docker runtime's own (not its no-engine case).
const docker = all.filter((test) => /'?docker'? runtime/.test(test.fullName) && !test.fullName.includes('without an engine'));
for (const file of report.testResults) {
  for (const test of file.assertionResults.filter((test) => test.status === 'failed')) {
    const why = (test.failureMessages ?? []).join(' ').replace(/\s+/g, ' ').slice(0, 400);
    console.log(`FAILED ${file.name.replace(process.cwd() + '/', '')} > ${test.fullName}: ${why}`);
  }
}
console.log(`docker-runtime tests: ${count(docker, 'passed')} passed, ${count(docker, 'failed')} failed, ${count(docker, 'skipped') + count(docker, 'pending')} skipped`);
console.log(`tests: ${count(all, 'passed')} passed, ${count(all, 'failed')} failed, ${count(all, 'skipped') + count(all, 'pending')} skipped`);
if (all.length === 0) process.exit(1);
