// The load form's fields as typed, checked against LOAD_LIMITS with a message per field.

import type { LoadSpec } from '../../../../shared/api.ts';
import { LOAD_LIMITS } from '../../../../shared/api.ts';

export interface LoadForm {
  method: 'GET' | 'HEAD' | 'POST';
  path: string;
  rate: string;
  duration: string;
}

export type LoadFormErrors = Partial<Record<'path' | 'rate' | 'duration', string>>;

function wholeNumber(text: string): number | null {
  return /^\s*\d+\s*$/.test(text) ? Number(text) : null;
}

export function validateLoadForm(form: LoadForm): { spec: LoadSpec | null; errors: LoadFormErrors } {
  const errors: LoadFormErrors = {};
  const path = form.path.trim();
  if (!path.startsWith('/')) errors.path = 'Path must start with /, e.g. /api/items';
  else if (/\s/.test(path)) errors.path = 'Path cannot contain spaces; encode them as %20';
  const rate = wholeNumber(form.rate);
  if (rate === null || rate < 1 || rate > LOAD_LIMITS.maxRate) errors.rate = `Rate must be a whole number from 1 to ${LOAD_LIMITS.maxRate} requests/s`;
  const duration = wholeNumber(form.duration);
  if (duration === null || duration < 1 || duration > LOAD_LIMITS.maxDuration) {
    errors.duration = `Duration must be a whole number of seconds from 1 to ${LOAD_LIMITS.maxDuration}`;
  }
  if (Object.keys(errors).length > 0 || rate === null || duration === null) return { spec: null, errors };
  return { spec: { path, rate, duration, method: form.method }, errors };
}
