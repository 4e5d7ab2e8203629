// Error codes of the contract: a closed set that callers switch on, never on message text.
import { z } from 'zod';

export const ERROR_CODES = {
  invalid_input: 400,
  unauthorized: 401,
  not_found: 404,
  unknown_procedure: 404,
  already_exists: 409,
  in_use: 409,
  pool_exhausted: 409,
  overlap: 409,
  payload_too_large: 413,
  unavailable: 503,
  host_key_changed: 409,
  ssh_auth_failed: 502,
  data_dir_damaged: 500,
  internal: 500,
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;
export const ErrorCodeSchema = z.enum(Object.keys(ERROR_CODES) as [ErrorCode, ...ErrorCode[]]);

/** One problem with one input field; `field` is a dotted path into the input ("endpoint", "auth.identityFile"). */
export const FieldIssue = z.object({ field: z.string(), message: z.string() });
export type FieldIssue = z.infer<typeof FieldIssue>;

/** The wire form of an error, the same on HTTP, WebSocket and IPC. */
export const ErrorBody = z.object({
  code: ErrorCodeSchema,
  /** Names the field (when there is one) and says how to fix it. */
  message: z.string(),
  /** Input field the error is about; absent when the error is not about one field. */
  field: z.string().optional(),
  /** Every field problem found, first one first; empty when not a validation error. */
  issues: z.array(FieldIssue).default([]),
  /** Facts a client acts on without reading the message, per code: host_key_changed has pinned and presented. */
  details: z.record(z.string(), z.string()).optional(),
});
export type ErrorBody = z.infer<typeof ErrorBody>;

export class BulwarkError extends Error {
  readonly code: ErrorCode;
  readonly field: string | undefined;
  readonly issues: FieldIssue[];
  readonly details: Record<string, string> | undefined;

  constructor(code: ErrorCode, message: string, opts: { field?: string; issues?: FieldIssue[]; details?: Record<string, string>; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'BulwarkError';
    this.code = code;
    this.field = opts.field;
    this.issues = opts.issues ?? [];
    this.details = opts.details;
  }

  /** A problem with one input field. The message says what is wrong and how to fix it. */
  static field(field: string, message: string, code: ErrorCode = 'invalid_input'): BulwarkError {
    return new BulwarkError(code, `${field}: ${message}`, { field, issues: [{ field, message }] });
  }

  toBody(): ErrorBody {
    return { code: this.code, message: this.message, field: this.field, issues: this.issues, ...(this.details ? { details: this.details } : {}) };
  }

  static fromBody(body: ErrorBody): BulwarkError {
    return new BulwarkError(body.code, body.message, { field: body.field, issues: body.issues, details: body.details });
  }

  get httpStatus(): number {
    return ERROR_CODES[this.code];
  }
}

/** For can't-happen states, never for user input. */
export function invariant(cond: unknown, what: string): asserts cond {
  if (!cond) throw new Error(`invariant failed: ${what}`);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `${typeof value}`;
}

const TYPE_NAMES: Record<string, string> = {
  int: 'a whole number',
  number: 'a number',
  string: 'a string',
  boolean: 'true or false',
  object: 'a JSON object',
  array: 'a JSON array',
};

function issueMessage(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type': {
      // zod reports the input only when asked (reportInput); its default message names the type.
      const received = /received (\w+)/.exec(issue.message)?.[1];
      const got = 'input' in issue ? describe(issue.input) : received === 'array' || received === 'object' ? `an ${received}` : (received ?? 'something else');
      const want = TYPE_NAMES[issue.expected] ?? `a ${issue.expected}`;
      if (got === 'undefined') return `is required; give ${want}`;
      return `expected ${want}, got ${got}; send ${want}`;
    }
    case 'unrecognized_keys':
      return `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}; remove ${issue.keys.length > 1 ? 'them' : 'it'}`;
    case 'too_small':
      if (issue.origin === 'string') return `must not be empty${Number(issue.minimum) > 1 ? ` (at least ${issue.minimum} characters)` : ''}`;
      return `must be at least ${issue.minimum}`;
    case 'too_big':
      if (issue.origin === 'string') return `is too long; use at most ${issue.maximum} characters`;
      return `must be at most ${issue.maximum}`;
    default:
      return issue.message;
  }
}

/** Turns a zod failure into invalid_input whose message names the first bad field and its fix. */
export function fromZodError(err: z.ZodError, prefix = ''): BulwarkError {
  const issues: FieldIssue[] = err.issues.map((issue) => {
    const path = [...issue.path.map(String)];
    if (issue.code === 'unrecognized_keys' && issue.keys.length === 1) path.push(issue.keys[0] ?? '');
    const field = [prefix, ...path].filter(Boolean).join('.');
    return { field, message: issueMessage(issue) };
  });
  const first = issues[0] ?? { field: '', message: 'is invalid' };
  const message = first.field ? `${first.field}: ${first.message}` : first.message;
  return new BulwarkError('invalid_input', message, { field: first.field || undefined, issues });
}
