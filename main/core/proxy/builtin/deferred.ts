// Waiting for a proxy process's answers, which come as separate messages on its channel.

import { SwitchyardError } from '../../errors.ts';

/** A promise with its resolve and reject at hand, for an answer that arrives as a message. */
export interface Deferred<T> {
  promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (error: Error) => void;
}

/** A Deferred whose rejection nobody awaiting is not an unhandled one. */
export function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // Rejections are observed by whoever awaits; an unobserved one must not crash the core.
  promise.catch(() => {});
  return { promise, resolve, reject };
}

/** `promise`, or an internal error saying `message within Ns` once `ms` pass first. */
export function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new SwitchyardError('internal', `${message} within ${ms / 1000}s`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
