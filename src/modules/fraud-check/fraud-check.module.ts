import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { CartModule } from '../cart';
import { FraudCheckService } from './fraud-check.service';
import { FraudRuleRow } from './fraud-rule-row.entity';
import { BlockedShopper } from './blocked-shopper.entity';
import { FraudDecision } from './fraud-decision.entity';

/** Time-window fraud rules kept in PostgreSQL; every decision stored with its reasons. */
@Module({
  imports: [TypeOrmModule.forFeature([FraudRuleRow, BlockedShopper, FraudDecision]), CartModule],
  providers: [FraudCheckService],
  exports: [FraudCheckService],
})
export class FraudCheckModule {}
