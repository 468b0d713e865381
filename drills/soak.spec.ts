import { soakChartOf, SoakSample } from './soak';

function sampleAt(atSeconds: number, behind: number, lag: number): SoakSample {
  return {
    atSeconds,
    memoryMb: {},
    openFiles: {},
    openStreams: 0,
    tableSizesMb: {},
    consumerLag: lag,
    accepted: atSeconds * 40,
    settled: atSeconds * 40,
    waiting: 0,
    settlementBehindSeconds: behind,
  };
}

describe('the soak chart', () => {
  // One sample every 10 s for 20 minutes, as `npm run drill -- soak --minutes 20` takes them.
  const samples = Array.from({ length: 120 }, (_, n) =>
    sampleAt(10 * (n + 1), n === 60 ? 3 : 0, 9),
  );

  it("spans the soak's seconds, not its count of samples", () => {
    const svg = soakChartOf(samples, 40);

    const axis = [...svg.matchAll(/>(\d+)s</g)].map(([, second]) => Number(second));
    expect(Math.max(...axis)).toBeGreaterThanOrEqual(1100);
    expect(Math.max(...axis)).toBeLessThanOrEqual(1200);
  });

  it('marks no fault, since a soak has none', () => {
    expect(soakChartOf(samples, 40)).not.toMatch(/>(fault|end)</);
  });
});
