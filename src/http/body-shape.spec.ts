import { bodyShapeProblem } from './body-shape';

function nested(levels: number): unknown {
  return JSON.parse(`{"sku":"CAP-LOGO","x":${'['.repeat(levels - 1)}${']'.repeat(levels - 1)}}`);
}

describe('bodyShapeProblem', () => {
  it('accepts a body nested up to the limit', () => {
    expect(bodyShapeProblem(nested(4), 4)).toBeNull();
    expect(bodyShapeProblem({ sku: 'CAP', quantity: 1 }, 1)).toBeNull();
  });

  it('refuses a body nested past the limit, however deep, without overflowing the stack', () => {
    expect(bodyShapeProblem(nested(5), 4)).toEqual({ kind: 'too_deep', maxDepth: 4 });
    expect(bodyShapeProblem(nested(100_000), 32)).toEqual({ kind: 'too_deep', maxDepth: 32 });
  });

  it('refuses a NUL character in any string, value or key, at any level', () => {
    expect(bodyShapeProblem({ maxInFlight: 4, reason: 'a\u0000b' }, 8)).toEqual({
      kind: 'nul_character',
    });
    expect(bodyShapeProblem(JSON.parse('{"a":[{"b":"\\u0000"}]}'), 8)).toEqual({
      kind: 'nul_character',
    });
    expect(bodyShapeProblem(JSON.parse('{"\\u0000":1}'), 8)).toEqual({ kind: 'nul_character' });
    expect(bodyShapeProblem({ reason: 'a\\u0000 written out' }, 8)).toBeNull();
  });

  it('refuses __proto__ and constructor keys at any level', () => {
    expect(
      bodyShapeProblem(JSON.parse('{"paymentToken":"tok_visa","__proto__":{"x":1}}'), 8),
    ).toEqual({
      kind: 'forbidden_key',
      key: '__proto__',
    });
    expect(bodyShapeProblem(JSON.parse('{"a":[{"constructor":{"prototype":{}}}]}'), 8)).toEqual({
      kind: 'forbidden_key',
      key: 'constructor',
    });
  });

  it('takes scalars and null as they are', () => {
    expect(bodyShapeProblem('text', 1)).toBeNull();
    expect(bodyShapeProblem(null, 1)).toBeNull();
    expect(bodyShapeProblem({ a: null, b: [1, 'x'] }, 2)).toBeNull();
  });
});
