import { ApiProperty } from '@nestjs/swagger';
import { PAYMENT_STANDINGS, PaymentStanding, Verdict, VERDICTS } from '../payment-watch/verdict';

/** Where an async order's latest message (its payment request, or the result) is in Kafka. */
export class StuckMessageView {
  @ApiProperty({ example: 'payment.order' }) topic!: string;
  @ApiProperty({ nullable: true, type: Number, example: 7 }) partition!: number | null;
  @ApiProperty({ nullable: true, type: Number, example: 1042 }) offset!: number | null;
  @ApiProperty({
    nullable: true,
    type: Number,
    example: 980,
    description: "The workers' committed offset on that partition: the next record they read.",
  })
  committedOffset!: number | null;
  @ApiProperty({
    nullable: true,
    type: Number,
    example: 62,
    description: 'Records of the partition before it that the workers have not passed yet.',
  })
  ahead!: number | null;
}

export class StuckOrderView {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ example: 'shopper-42' }) userId!: string;
  @ApiProperty({ enum: ['sync', 'async'] }) mode!: string;
  @ApiProperty({ description: 'The payment attempt waited for (retries add one).' })
  paymentAttempt!: number;
  @ApiProperty() createdAt!: Date;
  @ApiProperty({ description: 'Seconds since the order was placed.' }) waitingSeconds!: number;
  @ApiProperty({ description: 'Times its payment was asked for again.' }) redrives!: number;
  @ApiProperty({ description: 'When, with no result and lost, it is re-driven (again).' })
  watchUntil!: Date;
  @ApiProperty({
    nullable: true,
    type: Date,
    description: 'Set once every re-drive went unanswered: a human has to look.',
  })
  needsAttentionAt!: Date | null;
  @ApiProperty({
    enum: VERDICTS,
    description:
      'lost: past its deadline with nothing on its way (re-driven, or flagged once re-drives ' +
      'are used up); late: its payment is on its way (a message still queued for the ' +
      'workers, or a payment running again), so it is not re-driven.',
  })
  verdict!: Verdict;
  @ApiProperty({
    enum: PAYMENT_STANDINGS,
    description:
      'in_process: a sync payment, run by an instance; unpublished: in the outbox, not on ' +
      'Kafka yet; queued: on Kafka, not yet passed by the workers (waiting, or being paid); ' +
      'passed: the workers committed past it with no result; unknown: Kafka cannot be asked ' +
      'now; untracked: nothing tells where its message is (judged by the clock).',
  })
  standing!: PaymentStanding;
  @ApiProperty({ type: StuckMessageView, nullable: true })
  message!: StuckMessageView | null;
}
