import { Column, Entity, PrimaryColumn } from 'typeorm';

@Entity('order_lines')
export class OrderLine {
  @PrimaryColumn({ name: 'order_id', type: 'uuid' })
  orderId!: string;

  @PrimaryColumn({ type: 'varchar', length: 64 })
  sku!: string;

  @Column('text')
  name!: string;

  @Column('integer', { name: 'unit_price_cents' })
  unitPriceCents!: number;

  @Column('integer')
  quantity!: number;
}
