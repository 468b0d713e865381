import { sealReplyTo, unsealReplyTo } from './fleet-reply-to';

const SECRET = 'the-fleet-shared-secret';
const ADDRESS = 'https://api-1.shop.example/internal/order-updates';

describe('fleet replyTo seal', () => {
  it('gives back the address its own fleet sealed', () => {
    const sealed = sealReplyTo(ADDRESS, SECRET);
    expect(sealed).toMatch(/^https:\/\/api-1\.shop\.example\/internal\/order-updates\?fleet=/);
    expect(unsealReplyTo(sealed, SECRET)).toBe(ADDRESS);
  });

  it('refuses an address with no seal, another fleet’s seal, or a seal moved to another host', () => {
    expect(unsealReplyTo(ADDRESS, SECRET)).toBeNull();
    expect(unsealReplyTo(sealReplyTo(ADDRESS, 'another-fleet-secret'), SECRET)).toBeNull();
    const seal = new URL(sealReplyTo(ADDRESS, SECRET)).searchParams.get('fleet')!;
    expect(
      unsealReplyTo(`https://attacker.example/internal/order-updates?fleet=${seal}`, SECRET),
    ).toBeNull();
    expect(unsealReplyTo('not a url', SECRET)).toBeNull();
  });

  it('keeps a query of the address and a path under PUBLIC_URL', () => {
    const address = 'http://10.0.0.7:3000/checkout/internal/order-updates?zone=b';
    expect(unsealReplyTo(sealReplyTo(address, SECRET), SECRET)).toBe(address);
  });
});
