import { lineChartOf } from '../drills/line-chart';
import { SaleResult } from './sale';

/** The sales the headline sets side by side: the same shoppers at 10× the gateway, each mode. */
const SYNC = 'sync 10×';
const ASYNC = 'async 10×';

/**
 * Accept latency and settle pace over the sale, sync against async; null when the run did
 * not take both sales.
 */
export function headlineChart(sales: SaleResult[]): string | null {
  const sync = sales.find((sale) => sale.scenario === SYNC);
  const async = sales.find((sale) => sale.scenario === ASYNC);
  if (!sync || !async) return null;
  const offered = `${sync.offeredPerSecond} shoppers/s for ${sync.offered / sync.offeredPerSecond} s`;
  return lineChartOf([
    {
      title: `Accept latency p99, each second's arrivals (${offered})`,
      unit: 'ms',
      lines: [
        { name: 'sync', color: '#e0473c', perSecond: sync.timeline.acceptP99Ms },
        { name: 'async', color: '#2f6fb0', perSecond: async.timeline.acceptP99Ms },
      ],
    },
    {
      title: 'Orders settled (payment recorded) each second',
      unit: 'orders/s',
      lines: [
        { name: 'sync', color: '#e0473c', perSecond: sync.timeline.settled },
        { name: 'async', color: '#2f6fb0', perSecond: async.timeline.settled },
      ],
    },
  ]);
}
