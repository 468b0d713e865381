import { Permits } from './permits';

describe('Permits', () => {
  it('gives no more than its size and calls back when one frees', () => {
    const permits = new Permits(2);
    expect([permits.tryTake(), permits.tryTake(), permits.tryTake()]).toEqual([true, true, false]);
    let called = 0;
    permits.whenFree(() => (called += 1));
    expect(called).toBe(0);
    permits.give();
    expect(called).toBe(1);
    permits.give();
    expect(called).toBe(1);
  });

  it('takes a smaller size as holders give back, and a larger one at once', () => {
    const permits = new Permits(3);
    permits.tryTake();
    permits.tryTake();
    permits.resize(1);
    expect(permits.tryTake()).toBe(false);
    permits.give();
    expect(permits.tryTake()).toBe(false);
    let called = false;
    permits.whenFree(() => (called = true));
    permits.resize(4);
    expect(called).toBe(true);
    expect(permits.tryTake()).toBe(true);
    expect(permits.inUse()).toBe(2);
  });

  it('calls every listener though one throws, then throws its error', () => {
    const permits = new Permits(1);
    permits.tryTake();
    const called: string[] = [];
    permits.whenFree(() => {
      called.push('first');
      throw new Error('listener failed');
    });
    permits.whenFree(() => called.push('second'));
    expect(() => permits.give()).toThrow('listener failed');
    expect(called).toEqual(['first', 'second']);
  });
});
