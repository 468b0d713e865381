/**
 * Fraud check: decides on an order before its payment (approve, review or reject) by rules kept
 * in its tables, and stores each decision with its reasons.
 *
 * Offers: `FraudCheckService.check`, the verdict and its reasons.
 */
export { FraudCheckModule } from './fraud-check.module';
export {
  FraudCheckService,
  type FraudCheckRequest,
  type FraudDecision,
} from './fraud-check.service';
export { type FraudAssessment, type FraudVerdict } from './fraud-rules';
