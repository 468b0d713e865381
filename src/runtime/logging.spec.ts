import { logsPretty, redactedUrl, responseLevel } from './logging';

describe('redactedUrl', () => {
  it('replaces every query value and keeps the names', () => {
    expect(redactedUrl('/admin/mode?token=secret123')).toBe('/admin/mode?token=[Redacted]');
    expect(redactedUrl('/admin/dead-letters?state=all&token=a=b')).toBe(
      '/admin/dead-letters?state=[Redacted]&token=[Redacted]',
    );
  });

  it('replaces a bare query part whole, since it may be the secret itself', () => {
    expect(redactedUrl('/orders?secret123')).toBe('/orders?[Redacted]');
  });

  it('leaves a URL without a query as it is', () => {
    expect(redactedUrl('/orders/42')).toBe('/orders/42');
    expect(redactedUrl(undefined)).toBeUndefined();
  });
});

describe('logsPretty', () => {
  it('writes for a person at a terminal and JSON lines elsewhere, unless LOG_FORMAT says', () => {
    expect(logsPretty('auto', true)).toBe(true);
    expect(logsPretty('auto', false)).toBe(false);
    expect(logsPretty('json', true)).toBe(false);
    expect(logsPretty('pretty', false)).toBe(true);
  });
});

describe('responseLevel', () => {
  it('logs server errors as errors, refusals on purpose as warnings and the rest as info', () => {
    expect(responseLevel(500)).toBe('error');
    expect(responseLevel(502)).toBe('error');
    expect(responseLevel(200, new Error('socket hang up'))).toBe('error');
    expect(responseLevel(503)).toBe('warn');
    expect(responseLevel(409)).toBe('info');
    expect(responseLevel(429)).toBe('info');
    expect(responseLevel(202)).toBe('info');
  });
});
