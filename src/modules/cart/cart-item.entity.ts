import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

@Entity('cart_items')
export class CartItem {
  @PrimaryColumn({ name: 'user_id', type: 'varchar', length: 64 })
  userId!: string;

  @PrimaryColumn({ type: 'varchar', length: 64 })
  sku!: string;

  @Column('integer')
  quantity!: number;

  /** The order under way that holds this item until its payment is decided. */
  @Column({ name: 'held_by', type: 'uuid', nullable: true })
  heldBy!: string | null;

  @CreateDateColumn({ name: 'added_at', type: 'timestamptz' })
  addedAt!: Date;
}
