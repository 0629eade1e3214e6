import type { ControlErrorCode } from '../../shared/api.ts';

/** An error meant for people: it names the problem and what to do; `code` maps it onto the control API. */
export class SwitchyardError extends Error {
  readonly code: ControlErrorCode;

  constructor(code: ControlErrorCode, message: string) {
    super(message);
    this.name = 'SwitchyardError';
    this.code = code;
  }
}
