// Lab 11: what orders needs from catalog and from payment, written down as consumer-driven contracts (Pact).
// Orders runs for real (test/run-service.ts), with CATALOG_URL and PAYMENT_URL pointing at Pact's mock servers: each
// mock answers only the requests this test declares, and fails the test on any request it was not told about. What
// orders really sent and needed is then written to ../pacts/orders-catalog.json and ../pacts/orders-payment.json, which
// catalog and payment verify themselves against (their test/*.pact.test.ts).
//
// Pin only what orders reads: a product's priceCents, a payment's paymentId, the statuses it acts on. A field orders
// never reads left out of the contract is a field its provider may change freely.
import { fileURLToPath } from 'node:url';
import { MatchersV3, PactV3 } from '@pact-foundation/pact';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPostgres, type TestDatabase } from './postgres.js';
import { runService } from './run-service.js';

const { integer, regex, string, uuid } = MatchersV3;

const PACTS = fileURLToPath(new URL('../../pacts', import.meta.url));
const catalog = new PactV3({ consumer: 'orders', provider: 'catalog', dir: PACTS, logLevel: 'warn' });
const payment = new PactV3({ consumer: 'orders', provider: 'payment', dir: PACTS, logLevel: 'warn' });

let db: TestDatabase;

beforeAll(async () => {
  db = await startPostgres();
});

afterAll(async () => {
  await db?.stop();
});

/** orders, started against the given catalog and payment, for the length of `work`. */
async function withOrders(urls: { catalog: string; payment: string }, work: (ordersUrl: string) => Promise<void>): Promise<void> {
  const orders = await runService({
    DATABASE_URL: db.url,
    CATALOG_URL: urls.catalog,
    PAYMENT_URL: urls.payment,
    PAYMENT_API_KEY: 'test-key',
  });
  try {
    await work(orders.url);
  } finally {
    await orders.stop();
  }
}

function placeOrder(ordersUrl: string, productId: string, quantity: number): Promise<Response> {
  return fetch(`${ordersUrl}/orders`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ productId, quantity }) });
}

describe('orders, as a consumer of catalog and payment', () => {
  it('places an order: reads the price from catalog, charges it with payment', async () => {
    catalog
      .given('a product exists', { id: 'pact-mug', priceCents: 1250 })
      .uponReceiving('a request for a product')
      .withRequest({ method: 'GET', path: '/products/pact-mug' })
      .willRespondWith({
        status: 200,
        // The one field orders reads. Any whole number will do: the provider's data is not the contract.
        body: { priceCents: integer(1250) },
      });
    payment
      .uponReceiving('a charge with an idempotency key')
      .withRequest({
        method: 'POST',
        path: '/payments',
        headers: {
          authorization: regex('Bearer .+', 'Bearer test-key'),
          'idempotency-key': uuid(),
        },
        body: { orderId: uuid(), amountCents: integer(2500) },
      })
      .willRespondWith({
        status: 201,
        body: { paymentId: string('pay-1') },
      });

    await catalog.executeTest((catalogMock) =>
      payment.executeTest((paymentMock) =>
        withOrders({ catalog: catalogMock.url, payment: paymentMock.url }, async (ordersUrl) => {
          const answer = await placeOrder(ordersUrl, 'pact-mug', 2);
          const order = await answer.json();
          expect(answer.status, JSON.stringify(order)).toBe(201);
          expect(order).toMatchObject({ productId: 'pact-mug', quantity: 2, amountCents: 2500, status: 'confirmed', paymentId: 'pay-1' });
        }),
      ),
    );
  });

  it('answers 404 for a product catalog does not know, and charges nothing', async () => {
    catalog
      .given('no product has the id', { id: 'no-such-product' })
      .uponReceiving('a request for a product that does not exist')
      .withRequest({ method: 'GET', path: '/products/no-such-product' })
      .willRespondWith({ status: 404 });

    // No interaction declared with payment: had orders called it, that request would fail this test.
    await catalog.executeTest((catalogMock) =>
      payment.executeTest((paymentMock) =>
        withOrders({ catalog: catalogMock.url, payment: paymentMock.url }, async (ordersUrl) => {
          const answer = await placeOrder(ordersUrl, 'no-such-product', 1);
          expect(answer.status).toBe(404);
        }),
      ),
    );
  });
});
