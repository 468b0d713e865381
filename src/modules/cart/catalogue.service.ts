import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, Repository } from 'typeorm';
import { AppConfig } from '../../config/app-config';
import { APP_CONFIG } from '../../config/config.module';
import { UnknownProductError } from './cart.errors';
import { DEMO_CATALOGUE } from './demo-catalogue';
import { Product } from './product.entity';

/** The catalogue as other modules may read it: what a SKU costs now. */
export interface CataloguePrice {
  sku: string;
  priceCents: number;
  currency: string;
}

@Injectable()
export class CatalogueService implements OnApplicationBootstrap {
  private readonly logger = new Logger(CatalogueService.name);

  constructor(
    @InjectRepository(Product) private readonly products: Repository<Product>,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * Seeds the demo catalogue into an empty products table (SEED_DEMO_CATALOGUE). Instances
   * booting together may all find it empty: a product another one seeded first is skipped.
   */
  async onApplicationBootstrap(): Promise<void> {
    if (!this.config.catalogue.seedDemo || (await this.products.count()) > 0) return;
    const seeded = await this.products
      .createQueryBuilder()
      .insert()
      .values(DEMO_CATALOGUE.map((p) => ({ ...p, currency: this.config.catalogue.currency })))
      .orIgnore()
      .returning(['sku'])
      .execute();
    const count = (seeded.raw as unknown[]).length;
    if (count > 0) this.logger.log(`Seeded the demo catalogue with ${count} products.`);
  }

  list(): Promise<Product[]> {
    return this.products.find({ order: { sku: 'ASC' } });
  }

  async get(sku: string): Promise<Product> {
    const product = await this.products.findOneBy({ sku });
    if (!product) throw new UnknownProductError(sku);
    return product;
  }

  /** Current prices of the given SKUs, read inside the caller's transaction. */
  async pricesOf(manager: EntityManager, skus: string[]): Promise<CataloguePrice[]> {
    if (skus.length === 0) return [];
    // Every fraud check reads it: a plain statement, not a find the ORM builds at each call.
    const found = await manager.query<{ sku: string; price_cents: number; currency: string }[]>(
      `SELECT sku, price_cents, currency FROM products WHERE sku = ANY($1)`,
      [skus],
    );
    return found.map(({ sku, price_cents, currency }) => ({
      sku,
      priceCents: price_cents,
      currency,
    }));
  }
}
