// Prints "tests: N passed, N failed, N skipped" and the count per runtime from vitest's JSON report.
import { readFileSync } from 'node:fs';

const report = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const all = report.testResults.flatMap((file) => file.assertionResults);
const count = (tests, status) => tests.filter((test) => test.status === status).length;
// Tests that need an engine: the platform's suites on the docker runtime, and the docker runtime's own (not its no-engine case).
const docker = all.filter((test) => /'?docker'? runtime/.test(test.fullName) && !test.fullName.includes('without an engine'));
console.log(`docker-runtime tests: ${count(docker, 'passed')} passed, ${count(docker, 'failed')} failed, ${count(docker, 'skipped') + count(docker, 'pending')} skipped`);
console.log(`tests: ${count(all, 'passed')} passed, ${count(all, 'failed')} failed, ${count(all, 'skipped') + count(all, 'pending')} skipped`);
if (all.length === 0) process.exit(1);
