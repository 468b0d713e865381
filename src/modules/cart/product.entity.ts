import { Column, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

@Entity('products')
export class Product {
  @PrimaryColumn({ type: 'varchar', length: 64 })
  sku!: string;

  @Column('text')
  name!: string;

  @Column('integer', { name: 'price_cents' })
  priceCents!: number;

  @Column('char', { length: 3 })
  currency!: string;

  @Column('integer')
  stock!: number;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
