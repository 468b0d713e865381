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
