/**
 * Payment: settles an order's payment against the gateway (the simulator or an HTTP gateway),
 * behind a circuit breaker and, in async mode, the adaptive limit; records each attempt.
 *
 * Offers: `GatewayGuard` (the circuit), `PaymentGateway` and its errors, `PaymentRecords`
 * (reads). Listens to `payment.order`; publishes `payment.result` (`payment.contracts.ts`).
 */
export { PaymentView } from './dto/payment.view';
export { GatewayGuard, type CircuitStatus } from './gateway-guard';
export {
  GatewayCircuitOpenError,
  PaymentGateway,
  type Authorization,
  type AuthorizationRequest,
} from './payment-gateway';
export { PaymentRecords } from './payment-records';
export { PaymentModule } from './payment.module';
export { SimulatedPaymentGateway, type GatewayLedger } from './simulated-payment-gateway';
