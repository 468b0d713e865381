export { FraudCheckModule } from './fraud-check.module';
export { FraudCheckService, type FraudCheckRequest } from './fraud-check.service';
export { type FraudAssessment, type FraudVerdict } from './fraud-rules';
