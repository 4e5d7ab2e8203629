/// <reference lib="dom" />
// The one way the edge's pages talk to the edge: POST /api/v1/<call> with JSON, carrying the
// token from GET /api/v1/csrf. Imports only types from the contract: its zod schemas would bring
// zod into the page, whose JIT probes `new Function` (refused by the pages' CSP, with a console
// error) and weighs ~450 kB minified. So the few patterns and the shape of each answer are
// written here, and web.test.ts holds them equal to contract/schemas/edge.ts.
import type { EdgeCallInput, EdgeCallName, EdgeCallOutput, EdgeErrorCode } from '../../../src-main/contract/schemas/edge.js';

export const CSRF_HEADER = 'x-csrf-token';
export const IDEMPOTENCY_HEADER = 'idempotency-key';

/** Which calls change something and so need an Idempotency-Key (EDGE_CALLS[name].mutates). */
export const MUTATES: Record<EdgeCallName, boolean> = {
  'invite.lookup': false,
  'enroll.totp': false,
  'enroll.complete': true,
  'connect.lookup': false,
  connect: true,
};

/** The contract's InviteToken, ConnectId and TotpCode: pattern and the sentence that follows "… ". */
export const PATTERNS = {
  inviteToken: {
    pattern: /^[A-Za-z0-9_-]{43}$/,
    message: 'is not an invite token (the 43 characters after "#" in the invite link); open the link exactly as you received it',
  },
  connectId: {
    pattern: /^[A-Za-z0-9_-]{22}$/,
    message: 'is not a connect link id (22 characters); open the connect link exactly as you received it',
  },
  totpCode: { pattern: /^[0-9]{6}$/, message: 'is not a code; type the six digits your authenticator app shows' },
} as const;

/** A value's expected JSON shape: a type name, `[shape]` for an array, or an object's fields. */
export type Shape = 'string' | 'string|null' | 'number' | 'boolean' | [Shape] | { [field: string]: Shape };

/** What each call answers (the contract's output schemas; web.test.ts compares them). */
export const OUTPUT_SHAPES: Record<EdgeCallName, Shape> = {
  'invite.lookup': { location: 'string', device: 'string', mfa: 'boolean', expiresAt: 'string' },
  'enroll.totp': { secret: 'string', uri: 'string', issuer: 'string', label: 'string', digits: 'number', periodSeconds: 'number' },
  'enroll.complete': {
    location: 'string',
    device: 'string',
    mfa: 'boolean',
    config: {
      locationName: 'string',
      deviceName: 'string',
      address: 'string',
      serverPublicKey: 'string',
      allowedIps: ['string'],
      endpoint: 'string',
      persistentKeepalive: 'number',
    },
    connectUrl: 'string|null',
  },
  'connect.lookup': { location: 'string', device: 'string', disconnectThreshold: 'number' },
  connect: {
    connected: 'boolean',
    location: 'string',
    device: 'string',
    session: 'number',
    gateways: [{ host: 'string', confirmed: 'boolean', reason: 'string|null' }],
    tookMs: 'number',
    disconnectThreshold: 'number',
  },
};

export function conforms(value: unknown, shape: Shape): boolean {
  if (shape === 'string|null') return value === null || typeof value === 'string';
  if (typeof shape === 'string') return typeof value === shape && (shape !== 'number' || Number.isFinite(value));
  if (Array.isArray(shape)) return Array.isArray(value) && value.every((v) => conforms(v, shape[0]));
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const record = value as Record<string, unknown>;
  return Object.entries(shape).every(([field, s]) => conforms(record[field], s));
}

/**
 * Codes the page makes itself: no answer (network, timeout_local), an answer it cannot read
 * (bad_reply), or an HTTP error without the edge's error body, from a proxy or balancer in front
 * (http_unavailable for 5xx, http otherwise).
 */
export type PageErrorCode = 'network' | 'timeout_local' | 'bad_reply' | 'http_unavailable' | 'http';

/** A failed call: the edge's error body, or what went wrong on the way. */
export class CallError extends Error {
  override readonly name = 'CallError';
  constructor(
    /** The edge's code (perhaps one newer than this page), or one of PageErrorCode. */
    readonly code: EdgeErrorCode | PageErrorCode | (string & {}),
    /** The edge's message, for the person at the browser; ours for PageErrorCode. */
    message: string,
    /** HTTP status, or null when no answer came. */
    readonly status: number | null,
    readonly field: string | null = null,
    /** locked: seconds until another try is allowed; null otherwise. */
    readonly retryAfterSeconds: number | null = null,
  ) {
    super(message);
  }

  /**
   * The request may have been done although no answer says so: trying again should resend it
   * with the same Idempotency-Key, so that Core answers the first one instead of doing it twice.
   */
  get outcomeUnknown(): boolean {
    if (this.code === 'network' || this.code === 'timeout_local' || this.code === 'bad_reply') return true;
    if (this.code === 'core_unreachable' || this.code === 'timeout' || this.code === 'internal' || this.code === 'conflict') return true;
    return this.status !== null && this.status >= 500;
  }
}

/** Long enough for `connect`, which waits for every gateway of the location to confirm. */
const TIMEOUT_MS = 60_000;

/** An Idempotency-Key: 32 hex digits (the contract allows 16 to 64 of [A-Za-z0-9_-]). */
export function newIdempotencyKey(): string {
  return crypto.randomUUID().replaceAll('-', '');
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

async function send(url: string, init: RequestInit): Promise<{ status: number; ok: boolean; body: unknown }> {
  try {
    const res = await fetch(url, { ...init, credentials: 'same-origin', cache: 'no-store', signal: AbortSignal.timeout(TIMEOUT_MS) });
    const text = await res.text();
    let body: unknown;
    try {
      body = text === '' ? undefined : JSON.parse(text);
    } catch {
      body = undefined;
    }
    return { status: res.status, ok: res.ok, body };
  } catch (e) {
    if (e instanceof DOMException && (e.name === 'TimeoutError' || e.name === 'AbortError')) {
      throw new CallError('timeout_local', `The sign-up service did not answer within ${TIMEOUT_MS / 1000} seconds.`, null);
    }
    throw new CallError('network', 'Your browser could not reach the sign-up service.', null);
  }
}

function errorFrom(status: number, body: unknown): CallError {
  const e = isRecord(body) && isRecord(body.error) ? body.error : null;
  if (e && typeof e.code === 'string' && typeof e.message === 'string') {
    return new CallError(
      e.code,
      e.message,
      status,
      typeof e.field === 'string' ? e.field : null,
      typeof e.retryAfterSeconds === 'number' ? e.retryAfterSeconds : null,
    );
  }
  // No error body of ours: a proxy or balancer in front of the edges answered.
  return new CallError(status >= 500 ? 'http_unavailable' : 'http', `HTTP ${status}`, status);
}

let csrfToken: Promise<string> | null = null;

async function fetchCsrf(): Promise<string> {
  const res = await send('/api/v1/csrf', { method: 'GET', headers: { accept: 'application/json' } });
  if (!res.ok) throw errorFrom(res.status, res.body);
  if (!isRecord(res.body) || typeof res.body.token !== 'string' || res.body.token === '') {
    throw new CallError('bad_reply', 'The sign-up service answered GET /api/v1/csrf without a token.', res.status);
  }
  return res.body.token;
}

/** The CSRF token, fetched once per page and again when the edge refuses it. */
function csrf(refresh: boolean): Promise<string> {
  if (refresh || !csrfToken) {
    const pending = fetchCsrf();
    csrfToken = pending;
    pending.catch(() => {
      if (csrfToken === pending) csrfToken = null;
    });
  }
  return csrfToken;
}

export interface CallOptions {
  /** Required for calls that mutate: the same key for a retry of the same attempt. */
  idempotencyKey?: string;
}

export async function call<N extends EdgeCallName>(name: N, input: EdgeCallInput<N>, options: CallOptions = {}): Promise<EdgeCallOutput<N>> {
  if (MUTATES[name] && !options.idempotencyKey) throw new Error(`bug: ${name} needs an idempotency key`);
  for (let attempt = 0; ; attempt++) {
    const headers: Record<string, string> = {
      accept: 'application/json',
      'content-type': 'application/json',
      [CSRF_HEADER]: await csrf(attempt > 0),
    };
    if (options.idempotencyKey) headers[IDEMPOTENCY_HEADER] = options.idempotencyKey;
    const res = await send(`/api/v1/${name}`, { method: 'POST', headers, body: JSON.stringify(input) });
    if (res.ok) {
      if (!conforms(res.body, OUTPUT_SHAPES[name])) {
        throw new CallError('bad_reply', `The sign-up service answered ${name} with something this page does not understand.`, res.status);
      }
      return res.body as EdgeCallOutput<N>;
    }
    const err = errorFrom(res.status, res.body);
    // The token expired or the edges' key changed: the edge refused it before doing anything,
    // so one retry with a fresh token is safe.
    if (err.code === 'csrf' && attempt === 0) continue;
    throw err;
  }
}

/** "45 seconds", "1 minute", "5 minutes", "2 hours", "1 hour 30 minutes". */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const unit = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  if (s < 60) return unit(s, 'second');
  if (s < 3600) {
    const m = Math.round(s / 60);
    return m === 60 ? unit(1, 'hour') : unit(m, 'minute');
  }
  const h = Math.floor(s / 3600);
  const m = Math.round((s % 3600) / 60);
  return m === 0 ? unit(h, 'hour') : `${unit(h, 'hour')} ${unit(m, 'minute')}`;
}

/** Sentences a page may put in place of the shared ones, by code. */
export type Explanations = Partial<Record<string, string>>;

/** What went wrong and what to do, in one or two sentences for the person at the browser. */
export function explain(err: unknown, overrides: Explanations = {}): string {
  if (!(err instanceof CallError)) {
    return `Something went wrong in this page (${err instanceof Error ? err.message : String(err)}). Reload the page and try again.`;
  }
  const own = overrides[err.code];
  if (own !== undefined) return own;
  switch (err.code) {
    case 'network':
      return typeof navigator !== 'undefined' && !navigator.onLine
        ? 'Your device seems to be offline. Connect to the internet and try again.'
        : 'Your browser could not reach the sign-up service. Check your internet connection and try again.';
    case 'timeout_local':
      return `${err.message} Try again in a minute; trying again is safe.`;
    case 'bad_reply':
      return `${err.message} Reload the page (the service may have been updated) and try again.`;
    case 'http_unavailable':
      return `The sign-up service is not answering right now (${err.message}). Try again in a few minutes.`;
    case 'http':
      return `The sign-up service refused this page's request (${err.message}). Reload the page and try again; if it keeps happening, tell your administrator.`;
    case 'csrf':
      return "The sign-up service did not accept this page's security token. Make sure your browser allows cookies for this site, then reload the page.";
    case 'invite_unknown':
      return 'This invite link is not known. Check that you opened the whole link exactly as you received it; if it still fails, ask your administrator for a new invite.';
    case 'invite_used':
      return 'This invite was already used to set up a device. An invite works only once; ask your administrator for a new one.';
    case 'invite_expired':
      return 'This invite has expired. Ask your administrator for a new one.';
    case 'invite_revoked':
      return 'This invite was withdrawn by your administrator. Ask them for a new one if you still need to set up this device.';
    case 'device_unknown':
      return 'This connect link does not belong to any device; the device may have been removed. Ask your administrator.';
    case 'bad_code':
      return "That code is not right. Check that your phone's clock is set automatically (the codes depend on the time), then type the code the app shows now.";
    case 'code_reused':
      return 'That code was already used; wait for the next one (the app shows a new code every 30 seconds) and type it.';
    case 'locked':
      return err.retryAfterSeconds !== null
        ? `Too many wrong codes. Try again in ${formatDuration(err.retryAfterSeconds)}.`
        : 'Too many wrong codes. Wait a while and try again.';
    case 'conflict':
      return 'The same request is still being handled. Wait a few seconds and try again.';
    case 'core_unreachable':
      return 'The sign-up service cannot reach its control server right now. Try again in a few minutes.';
    case 'timeout':
      return 'The control server did not answer in time. Try again in a minute; trying again is safe.';
    case 'internal':
      return 'Something went wrong in the sign-up service. Try again in a few minutes; if it keeps happening, tell your administrator.';
    default:
      // invalid_input, too_large and the rest name the problem themselves, as does a code newer than this page.
      return err.message;
  }
}
