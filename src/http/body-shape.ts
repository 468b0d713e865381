/**
 * Keys that JSON.parse keeps as own properties but class-transformer skips without a word, so
 * the ValidationPipe never sees them to refuse them as unknown (class-transformer's
 * TransformOperationExecutor).
 */
const SKIPPED_KEYS = new Set(['__proto__', 'constructor']);

export type BodyShapeProblem =
  | { kind: 'too_deep'; maxDepth: number }
  | { kind: 'forbidden_key'; key: string }
  | { kind: 'nul_character' };

/** PostgreSQL refuses U+0000 in text and jsonb alike (22021, 22P05): no string of ours can hold it. */
const NUL = '\u0000';

/**
 * What is wrong with a parsed JSON body's shape before it is validated: nested deeper than
 * `maxDepth` objects and arrays (validation recurses and would overflow the stack), carrying
 * a key validation cannot see, or a string with a NUL character in it. Walks without
 * recursion, and stops at the first problem.
 */
export function bodyShapeProblem(body: unknown, maxDepth: number): BodyShapeProblem | null {
  const pending: { value: unknown; depth: number }[] = [{ value: body, depth: 1 }];
  for (let next = pending.pop(); next; next = pending.pop()) {
    const { value, depth } = next;
    if (typeof value === 'string' && value.includes(NUL)) return { kind: 'nul_character' };
    if (typeof value !== 'object' || value === null) continue;
    if (depth > maxDepth) return { kind: 'too_deep', maxDepth };
    for (const key of Object.keys(value)) {
      if (!Array.isArray(value) && SKIPPED_KEYS.has(key)) return { kind: 'forbidden_key', key };
      if (key.includes(NUL)) return { kind: 'nul_character' };
      pending.push({ value: (value as Record<string, unknown>)[key], depth: depth + 1 });
    }
  }
  return null;
}
