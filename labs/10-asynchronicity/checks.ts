// Lab 10 · Asynchronicity: events through a transactional outbox, an idempotent consumer — the checks. They run against a throwaway platform started from your services/.
// Rules for checks a learner can trust: README.md, "Writing a lab".
import { defineChecks, fail } from '../../platform/src/labs/check-api.js';

export default defineChecks({
  checks: [
    {
      name: 'todo',
      title: 'TODO: what this check proves, in one line',
      points: 1,
      timeout: '10s',
      hints: ['TODO: a gentle hint', 'TODO: a more precise one'],
      async run(ctx) {
        const answer = await ctx.http.get('/catalog/health');
        fail(`this check is not written yet (GET /catalog/health answered ${answer.status})`);
      },
    },
  ],
});
