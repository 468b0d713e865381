import { randomUUID } from 'node:crypto';
import { Response } from 'supertest';
import { TestApp } from './test-app';

/** A shopper using the REST API the way the web frontend does. */
export class Shopper {
  constructor(
    private readonly app: TestApp,
    readonly id: string,
  ) {}

  async addToCart(sku: string, quantity: number): Promise<Response> {
    return await this.app
      .http()
      .post('/cart/items')
      .set('X-User-Id', this.id)
      .send({ sku, quantity });
  }

  async cart(): Promise<Response> {
    return await this.app.http().get('/cart').set('X-User-Id', this.id);
  }

  /** Sends at once (supertest alone would wait for an await), so it can run in the background. */
  async placeOrder(
    paymentToken = 'tok_visa',
    idempotencyKey: string = randomUUID(),
  ): Promise<Response> {
    return await this.app
      .http()
      .post('/orders')
      .set('X-User-Id', this.id)
      .set('Idempotency-Key', idempotencyKey)
      .send({ paymentToken });
  }

  /** Fills the cart with one product and orders it. */
  async buy(sku: string, quantity = 1, paymentToken = 'tok_visa'): Promise<Response> {
    const added = await this.addToCart(sku, quantity);
    if (added.status !== 200) return added;
    return this.placeOrder(paymentToken);
  }

  async retryPayment(
    orderId: string,
    paymentToken = 'tok_visa',
    idempotencyKey: string = randomUUID(),
  ): Promise<Response> {
    return await this.app
      .http()
      .post(`/orders/${orderId}/payment-retries`)
      .set('X-User-Id', this.id)
      .set('Idempotency-Key', idempotencyKey)
      .send({ paymentToken });
  }

  async order(orderId: string): Promise<Response> {
    return await this.app.http().get(`/orders/${orderId}`).set('X-User-Id', this.id);
  }

  async timeline(orderId: string): Promise<Response> {
    return await this.app.http().get(`/orders/${orderId}/timeline`).set('X-User-Id', this.id);
  }
}
