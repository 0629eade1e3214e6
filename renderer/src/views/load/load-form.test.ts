import { describe, expect, it } from 'vitest';
import { validateLoadForm } from './load-form.ts';

describe('validateLoadForm', () => {
  it('accepts the limits themselves', () => {
    expect(validateLoadForm({ method: 'GET', path: '/', rate: '5000', duration: '600' })).toEqual({
      spec: { method: 'GET', path: '/', rate: 5000, duration: 600 },
      errors: {},
    });
  });

  it('refuses fractions, words and spaces in the path', () => {
    const { spec, errors } = validateLoadForm({ method: 'GET', path: '/a b', rate: '1.5', duration: 'ten' });
    expect(spec).toBeNull();
    expect(Object.keys(errors).sort()).toEqual(['duration', 'path', 'rate']);
  });
});
