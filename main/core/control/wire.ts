// Validation of what arrives on the wire: a control call is untrusted input until it parses.
//
// The contract declares each method once, in shared/api.ts, with its arguments described as plain
// data (shared/schema.ts), and this file turns those descriptions into zod. The other way round
// (zod schemas here, checked against a ControlApi interface with `satisfies`) would leave shared/,
// which may import nothing, without the list of methods: the renderer's and the CLI's clients
// derive their forwarders from that list, so it would have to be written a second time there.

import { z } from 'zod';
import { CONTROL_METHOD_NAMES, CONTROL_METHODS, type ControlApi, type ControlArgs, type ControlCall, type ControlErrorCode, type ControlMethod, type ControlResults } from '../../../shared/api.ts';
import { SUBSCRIBE_SCHEMA, type ClientMessage } from '../../../shared/events.ts';
import type { FieldSchema, Schema } from '../../../shared/schema.ts';
import { SwitchyardError } from '../errors.ts';

/** The validator of one described value. */
function toZod(schema: Schema): z.ZodType {
  switch (schema.type) {
    case 'text':
      return z.string().min(schema.minLength).max(schema.maxLength);
    case 'choice':
      return z.enum(schema.values);
    case 'number': {
      let number = z.number();
      if (schema.integer) number = number.int();
      if (schema.min !== undefined) number = number.min(schema.min);
      if (schema.max !== undefined) number = number.max(schema.max);
      return number;
    }
    case 'object':
      return z.strictObject(fieldValidators(schema.fields));
  }
}

function fieldValidators(fields: Readonly<Record<string, FieldSchema>>): Record<string, z.ZodType> {
  const validators: Record<string, z.ZodType> = {};
  for (const [name, field] of Object.entries(fields)) validators[name] = field.optional ? toZod(field).optional() : toZod(field);
  return validators;
}

const argValidators = new Map<ControlMethod, readonly z.ZodType[]>(CONTROL_METHOD_NAMES.map((method) => [method, CONTROL_METHODS[method].args.map(toZod)]));
const callShape = z.strictObject({ method: z.enum(CONTROL_METHOD_NAMES), args: z.array(z.unknown()) });
const subscribe = z.strictObject({ type: z.literal('subscribe'), ...fieldValidators(SUBSCRIBE_SCHEMA.fields) });
const ack = z.strictObject({ type: z.literal('ack'), seq: z.number().int().min(0) });
const callEnvelope = z.looseObject({ type: z.literal('call'), id: z.number().int().min(0) });

/** Parses a control call, or says in one line what is wrong with it. */
export function parseControlCall(input: unknown): { ok: true; call: ControlCall } | { ok: false; message: string } {
  const shape = callShape.safeParse(input);
  if (!shape.success) return { ok: false, message: describe('invalid control call', shape.error.issues) };
  return parseArgs(shape.data.method, shape.data.args);
}

function parseArgs<M extends ControlMethod>(method: M, args: unknown[]): { ok: true; call: ControlCall<M> } | { ok: false; message: string } {
  const problem: { message?: string } = {};
  if (!fitsMethod(method, args, problem)) return { ok: false, message: problem.message ?? 'invalid control call' };
  return { ok: true, call: { method, args } };
}

/**
 * Whether `args` are what the contract describes for `method`; the description's type is tied to
 * ControlArgs[M] in shared/api.ts, which is what makes this a proof of their type. Else `problem`
 * says what is wrong.
 */
function fitsMethod<M extends ControlMethod>(method: M, args: unknown[], problem: { message?: string }): args is ControlArgs[M] {
  const validators = argValidators.get(method) ?? [];
  if (args.length !== validators.length) {
    problem.message = `invalid control call at args: ${method} takes ${validators.length} argument${validators.length === 1 ? '' : 's'}, got ${args.length}`;
    return false;
  }
  for (const [index, validator] of validators.entries()) {
    const result = validator.safeParse(args[index]);
    if (!result.success) {
      problem.message = describe('invalid control call', result.error.issues, ['args', index]);
      return false;
    }
  }
  return true;
}

/** Parses a session message (a call, a subscribe or an ack), or says in one line what is wrong with it. */
export function parseClientMessage(input: unknown): { ok: true; message: ClientMessage } | { ok: false; message: string } {
  const type = typeof input === 'object' && input !== null && 'type' in input ? input.type : undefined;
  if (type === 'subscribe') {
    const result = subscribe.safeParse(input);
    return result.success ? { ok: true, message: result.data } : { ok: false, message: describe('invalid subscribe', result.error.issues) };
  }
  if (type === 'ack') {
    const result = ack.safeParse(input);
    return result.success ? { ok: true, message: result.data } : { ok: false, message: describe('invalid ack', result.error.issues) };
  }
  const envelope = callEnvelope.safeParse(input);
  if (!envelope.success) return { ok: false, message: describe('invalid message (expected a call, a subscribe or an ack)', envelope.error.issues) };
  const { type: _type, id, ...rest } = envelope.data;
  const parsed = parseControlCall(rest);
  return parsed.ok ? { ok: true, message: { type: 'call', id, ...parsed.call } } : parsed;
}

function describe(what: string, issues: readonly z.core.$ZodIssue[], prefix: PropertyKey[] = []): string {
  const issue = issues[0];
  const path = [...prefix, ...(issue?.path ?? [])];
  const where = path.length > 0 ? ` at ${path.map(String).join('.')}` : '';
  return `${what}${where}: ${issue?.message ?? 'unknown problem'}`;
}

/** Runs one parsed call on `api`, whichever transport it came by. */
export function invoke<M extends ControlMethod>(api: ControlApi, call: ControlCall<M>): Promise<ControlResults[M]> {
  return api[call.method](...call.args);
}

/** What a failed call tells the client: a SwitchyardError's code and message, anything else as internal. */
export function callFailure(error: unknown): { code: ControlErrorCode; message: string } {
  const code = error instanceof SwitchyardError ? error.code : 'internal';
  return { code, message: error instanceof Error ? error.message : String(error) };
}
