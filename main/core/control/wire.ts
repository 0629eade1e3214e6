// Validation of what arrives on the wire: a control call is untrusted input until it parses.

import { z } from 'zod';
import type { ControlApi, ControlCall, ControlErrorCode } from '../../../shared/api.ts';
import type { ClientMessage } from '../../../shared/events.ts';
import { SwitchyardError } from '../errors.ts';

const name = z.string().min(1).max(200);
const logQuery = z.strictObject({
  name: name.optional(),
  tail: z.number().int().min(0).max(1_000_000).optional(),
  after: z.number().int().min(0).optional(),
});

const accessQuery = z.strictObject({
  tail: z.number().int().min(0).max(1_000_000).optional(),
  after: z.number().int().min(0).optional(),
});
// Ranges are checked again by the load generator, whose messages say what is valid.
const loadSpec = z.strictObject({
  path: z.string().min(1).max(2000),
  rate: z.number(),
  duration: z.number(),
  method: z.enum(['GET', 'HEAD', 'POST']).optional(),
});

const calls = [
  z.strictObject({ method: z.literal('status'), args: z.tuple([]) }),
  z.strictObject({ method: z.literal('listProcesses'), args: z.tuple([]) }),
  z.strictObject({ method: z.literal('logs'), args: z.tuple([logQuery]) }),
  z.strictObject({ method: z.literal('access'), args: z.tuple([accessQuery]) }),
  z.strictObject({ method: z.literal('start'), args: z.tuple([name]) }),
  z.strictObject({ method: z.literal('stop'), args: z.tuple([name]) }),
  z.strictObject({ method: z.literal('restart'), args: z.tuple([name]) }),
  z.strictObject({ method: z.literal('reload'), args: z.tuple([name]) }),
  z.strictObject({ method: z.literal('scale'), args: z.tuple([name, z.number().int().min(0).max(256)]) }),
  z.strictObject({ method: z.literal('kill'), args: z.tuple([name]) }),
  z.strictObject({ method: z.literal('reloadStackFile'), args: z.tuple([]) }),
  z.strictObject({ method: z.literal('loadTest'), args: z.tuple([loadSpec]) }),
  z.strictObject({ method: z.literal('stopLoadTest'), args: z.tuple([name]) }),
  z.strictObject({ method: z.literal('shutdown'), args: z.tuple([]) }),
  z.strictObject({ method: z.literal('diagnostics'), args: z.tuple([]) }),
] as const;
const call = z.discriminatedUnion('method', calls);

const cursor = z.number().int().min(0).optional();
const subscribe = z.strictObject({
  type: z.literal('subscribe'),
  logsAfter: cursor,
  accessAfter: cursor,
  logTail: z.number().int().min(0).max(100_000).optional(),
});
const callEnvelope = z.looseObject({ type: z.literal('call'), id: z.number().int().min(0) });

/** Parses a control call, or says in one line what is wrong with it. */
export function parseControlCall(input: unknown): { ok: true; call: ControlCall } | { ok: false; message: string } {
  const result = call.safeParse(input);
  if (result.success) return { ok: true, call: result.data as ControlCall };
  return { ok: false, message: describe('invalid control call', result.error) };
}

/** Parses a session message (a call or a subscribe), or says in one line what is wrong with it. */
export function parseClientMessage(input: unknown): { ok: true; message: ClientMessage } | { ok: false; message: string } {
  const type = typeof input === 'object' && input !== null ? (input as { type?: unknown }).type : undefined;
  if (type === 'subscribe') {
    const result = subscribe.safeParse(input);
    return result.success ? { ok: true, message: result.data as ClientMessage } : { ok: false, message: describe('invalid subscribe', result.error) };
  }
  const envelope = callEnvelope.safeParse(input);
  if (!envelope.success) return { ok: false, message: describe('invalid message (expected a call or a subscribe)', envelope.error) };
  const { type: _type, id, ...rest } = envelope.data;
  const parsed = parseControlCall(rest);
  return parsed.ok ? { ok: true, message: { type: 'call', id, ...parsed.call } } : parsed;
}

function describe(what: string, error: z.ZodError): string {
  const issue = error.issues[0];
  const where = issue && issue.path.length > 0 ? ` at ${issue.path.join('.')}` : '';
  return `${what}${where}: ${issue?.message ?? 'unknown problem'}`;
}

/** Runs one parsed call on `api`, whichever transport it came by. */
export function invoke(api: ControlApi, call: ControlCall): Promise<unknown> {
  const fn = api[call.method] as (...args: unknown[]) => Promise<unknown>;
  return fn.apply(api, call.args as unknown[]);
}

/** What a failed call tells the client: a SwitchyardError's code and message, anything else as internal. */
export function callFailure(error: unknown): { code: ControlErrorCode; message: string } {
  const code = error instanceof SwitchyardError ? error.code : 'internal';
  return { code, message: error instanceof Error ? error.message : String(error) };
}
