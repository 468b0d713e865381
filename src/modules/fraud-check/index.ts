/**
 * Fraud check: decides on an order before its payment (approve, review or reject) by rules kept
 * in its tables, and stores each decision with its reasons.
 *
 * Offers: `FraudCheckService.check`, the verdict, its reasons, and whether the order was decided
 * before.
 */
export { FraudCheckModule } from './fraud-check.module';
export {
  FraudCheckService,
  type FraudCheckRequest,
  type FraudCheckResult,
} from './fraud-check.service';
export { type FraudAssessment, type FraudVerdict } from './fraud-rules';
