// Validation of what arrives on the wire: a control call is untrusted input until it parses.

import { z } from 'zod';
import type { ControlCall } from '../../../shared/api.ts';

const name = z.string().min(1).max(200);
const logQuery = z.strictObject({
  name: name.optional(),
  tail: z.number().int().min(0).max(1_000_000).optional(),
  after: z.number().int().min(0).optional(),
});

const call = z.discriminatedUnion('method', [
  z.strictObject({ method: z.literal('status'), args: z.tuple([]) }),
  z.strictObject({ method: z.literal('listProcesses'), args: z.tuple([]) }),
  z.strictObject({ method: z.literal('logs'), args: z.tuple([logQuery]) }),
  z.strictObject({ method: z.literal('restart'), args: z.tuple([name]) }),
  z.strictObject({ method: z.literal('reload'), args: z.tuple([name]) }),
  z.strictObject({ method: z.literal('scale'), args: z.tuple([name, z.number().int().min(0).max(256)]) }),
  z.strictObject({ method: z.literal('shutdown'), args: z.tuple([]) }),
]);

/** Parses a control call, or says in one line what is wrong with it. */
export function parseControlCall(input: unknown): { ok: true; call: ControlCall } | { ok: false; message: string } {
  const result = call.safeParse(input);
  if (result.success) return { ok: true, call: result.data as ControlCall };
  const issue = result.error.issues[0];
  const where = issue && issue.path.length > 0 ? ` at ${issue.path.join('.')}` : '';
  return { ok: false, message: `invalid control call${where}: ${issue?.message ?? 'unknown problem'}` };
}
