import { AutoThresholds, decideAutoMode } from './auto-mode-policy';

const limits: AutoThresholds = {
  asyncAboveInFlight: 20,
  asyncAboveLatencyMs: 500,
  syncBelowInFlight: 5,
  syncBelowLatencyMs: 100,
  holdMs: 1000,
};
const sync = { mode: 'sync' as const, calmSince: null };

describe('auto mode', () => {
  it('stays sync while the sync path has room', () => {
    const decision = decideAutoMode(
      sync,
      { syncInFlight: 20, syncRefused: 0, gatewayP95Ms: 500 },
      limits,
      0,
    );
    expect(decision).toMatchObject({ mode: 'sync', switched: false });
  });

  it('goes async when sync checkouts in flight pass the limit', () => {
    const decision = decideAutoMode(
      sync,
      { syncInFlight: 21, syncRefused: 0, gatewayP95Ms: 10 },
      limits,
      0,
    );
    expect(decision).toMatchObject({ mode: 'async', switched: true });
    expect(decision.reason).toBe('21 sync checkouts in flight, over 20');
  });

  it('goes async when the gateway slows past the limit', () => {
    const decision = decideAutoMode(
      sync,
      { syncInFlight: 0, syncRefused: 0, gatewayP95Ms: 812 },
      limits,
      0,
    );
    expect(decision).toMatchObject({ mode: 'async', switched: true });
    expect(decision.reason).toBe('gateway p95 812 ms, over 500 ms');
  });

  it('goes async when sync checkouts were refused, though few are in flight', () => {
    const decision = decideAutoMode(
      sync,
      { syncInFlight: 1, syncRefused: 3, gatewayP95Ms: 10 },
      limits,
      0,
    );
    expect(decision).toMatchObject({ mode: 'async', switched: true });
    expect(decision.reason).toBe(
      '3 sync checkouts refused (no payment capacity, or the gateway circuit open)',
    );
  });

  it('does not count calm while refusals are still recent', () => {
    const state = decideAutoMode(
      { mode: 'async', calmSince: null },
      { syncInFlight: 0, syncRefused: 1, gatewayP95Ms: null },
      limits,
      0,
    );
    expect(state).toMatchObject({ mode: 'async', calmSince: null, switched: false });
  });

  it('comes back to sync only after load stayed low for the hold period', () => {
    const calm = { syncInFlight: 0, syncRefused: 0, gatewayP95Ms: null };
    let state = decideAutoMode({ mode: 'async', calmSince: null }, calm, limits, 0);
    expect(state).toMatchObject({ mode: 'async', switched: false, calmSince: 0 });
    state = decideAutoMode(state, calm, limits, 999);
    expect(state).toMatchObject({ mode: 'async', switched: false });
    state = decideAutoMode(state, calm, limits, 1000);
    expect(state).toMatchObject({ mode: 'sync', switched: true });
  });

  it('starts the hold again when load rises in between', () => {
    let state = decideAutoMode(
      { mode: 'async', calmSince: null },
      { syncInFlight: 0, syncRefused: 0, gatewayP95Ms: 50 },
      limits,
      0,
    );
    state = decideAutoMode(
      state,
      { syncInFlight: 0, syncRefused: 0, gatewayP95Ms: 200 },
      limits,
      600,
    );
    expect(state).toMatchObject({ mode: 'async', calmSince: null });
    state = decideAutoMode(
      state,
      { syncInFlight: 0, syncRefused: 0, gatewayP95Ms: 50 },
      limits,
      1200,
    );
    state = decideAutoMode(
      state,
      { syncInFlight: 0, syncRefused: 0, gatewayP95Ms: 50 },
      limits,
      2100,
    );
    expect(state).toMatchObject({ mode: 'async', switched: false });
  });
});
