// Lab 11: payment verified against what its consumers need — every pact in ../pacts whose provider is "payment"
// (orders writes orders-payment.json when its tests run). The real payment runs (test/run-service.ts) with an API key
// of this test's making; Pact replays each request a consumer recorded and compares the answer with what that consumer
// needs. A renamed or dropped field, a changed status: the verification fails, before any deploy.
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Verifier } from '@pact-foundation/pact';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { runService, type RunningService } from './run-service.js';

const PACTS = fileURLToPath(new URL('../../pacts', import.meta.url));

/** The pact files naming this provider. None is an error: a verification of nothing would pass whatever payment does. */
function pactsFor(provider: string): string[] {
  const files = readdirSync(PACTS)
    .filter((name) => name.endsWith('.json'))
    .map((name) => join(PACTS, name))
    .filter((file) => (JSON.parse(readFileSync(file, 'utf8')) as { provider?: { name?: string } }).provider?.name === provider);
  if (files.length === 0) throw new Error(`no pact for ${provider} in ${PACTS}: run the consumers' tests first (cd services/orders && npm test)`);
  return files;
}

const API_KEY = randomBytes(12).toString('hex');
let payment: RunningService;

beforeAll(async () => {
  // Quick and never failing: the contract is about the answer's shape, not about payment's bad days.
  payment = await runService({ PAYMENT_API_KEY: API_KEY, PAYMENT_LATENCY_MS: '0', PAYMENT_FAILURE_RATE: '0' });
});

afterAll(async () => {
  await payment?.stop();
});

describe('payment, as a provider', () => {
  it('gives every consumer what its pact says it needs', async () => {
    await new Verifier({
      provider: 'payment',
      providerBaseUrl: payment.url,
      pactUrls: pactsFor('payment'),
      logLevel: 'warn',
      // The pact holds the consumer's example key; this payment wants its own. Real teams do the same with tokens.
      requestFilter: (req, _res, next) => {
        if (req.headers.authorization) req.headers.authorization = `Bearer ${API_KEY}`;
        next();
      },
    }).verifyProvider();
  });
});
