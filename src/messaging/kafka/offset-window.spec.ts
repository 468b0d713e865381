import { OffsetWindow } from './offset-window';

describe('OffsetWindow', () => {
  it('commits only the contiguous watermark, whatever order records finish in', () => {
    const window = new OffsetWindow();
    for (const offset of ['10', '11', '12', '13']) window.take(offset);

    expect(window.complete('12')).toBeNull();
    expect(window.complete('11')).toBeNull();
    expect(window.complete('10')).toBe('13');
    expect(window.size()).toBe(1);
    expect(window.complete('13')).toBe('14');
    expect(window.size()).toBe(0);
  });

  it('holds everything behind one slow record', () => {
    const window = new OffsetWindow();
    for (const offset of ['0', '1', '2']) window.take(offset);
    expect(window.complete('1')).toBeNull();
    expect(window.complete('2')).toBeNull();
    expect(window.size()).toBe(1);
    expect(window.complete('0')).toBe('3');
  });
});
