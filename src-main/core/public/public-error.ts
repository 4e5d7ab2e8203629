// A public call's refusal: a code from the contract (EDGE_ERRORS gives its HTTP status) and a
// sentence for the person at the browser. Never a stack, an internal name or a secret.
import type { EdgeErrorCode } from '../../contract/index.js';

export class PublicError extends Error {
  constructor(
    readonly code: EdgeErrorCode,
    message: string,
    readonly field: string | null = null,
    readonly retryAfterSeconds: number | null = null,
  ) {
    super(message);
    this.name = 'PublicError';
  }
}

export const lockedError = (retryAfterSeconds: number, what: string) =>
  new PublicError('locked', `${what} Try again in ${Math.ceil(retryAfterSeconds / 60)} minute${retryAfterSeconds > 60 ? 's' : ''}, or ask your administrator.`, null, retryAfterSeconds);
