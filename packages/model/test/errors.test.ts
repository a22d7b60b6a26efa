import { describe, expect, it } from 'vitest';
import { KargoModelError, ModelErrorCode } from '../src/index.ts';

describe('KargoModelError', () => {
  it('carries a stable code, a hint and the cause', () => {
    const cause = new Error('root');
    const err = new KargoModelError(ModelErrorCode.InvalidRegex, 'bad regex', { cause, hint: 'escape the dot' });
    expect(err).toBeInstanceOf(Error);
    expect(err.code).toBe('KARGO_MODEL_INVALID_REGEX');
    expect(err.hint).toBe('escape the dot');
    expect(err.cause).toBe(cause);
  });
});
