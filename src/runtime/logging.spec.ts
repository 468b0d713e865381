import { logsPretty, redactedUrl } from './logging';

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
