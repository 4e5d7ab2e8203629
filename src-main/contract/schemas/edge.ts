// The public service: what a browser asks an edge, and how the edge relays it to Core over the
// control link. One table (EDGE_CALLS) names each call with its input and its result; the edge
// parses the browser's JSON with the input schema, Core parses it again, and each side parses
// the result. The browser's pages (agents/edge/web) use the same schemas.
import { z } from 'zod';

/** An invite token: 32 random bytes, base64url, carried in the invite link's fragment. */
export const InviteToken = z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'is not an invite token (the 43 characters after "#" in the invite link); open the link exactly as you received it');

/** A device's connect id: 16 random bytes, base64url, the last part of its connect link. */
export const ConnectId = z.string().regex(/^[A-Za-z0-9_-]{22}$/, 'is not a connect link id (22 characters); open the connect link exactly as you received it');

/** A TOTP code as an authenticator app shows it: six digits. */
export const TotpCode = z.string().regex(/^[0-9]{6}$/, 'is not a code; type the six digits your authenticator app shows');

/** A WireGuard public key made by the browser: base64 of exactly 32 bytes. */
export const BrowserPublicKey = z.string().regex(/^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$/, 'is not a WireGuard public key (base64 of 32 bytes); reload the page so it makes a new key pair');

/** The fields of a wg-quick client config except the private key, which only the device has. */
export const ClientConfigModel = z.strictObject({
  locationName: z.string(),
  deviceName: z.string(),
  /** The device's private key, or null for a placeholder line. */
  privateKey: z.string().nullable(),
  /** The device's tunnel address with its host prefix, e.g. 10.10.0.2/32. */
  address: z.string(),
  serverPublicKey: z.string(),
  /** Networks routed into the tunnel (the location's pool at least). */
  allowedIps: z.array(z.string()),
  /** HOST:PORT clients dial; IPv6 hosts in brackets. */
  endpoint: z.string(),
  /** Seconds; keeps NAT mappings open and lets a new gateway see the client quickly. */
  persistentKeepalive: z.number().int(),
});
export type ClientConfigModel = z.infer<typeof ClientConfigModel>;

const GatewayConfirmation = z.strictObject({
  host: z.string(),
  /** The gateway applied the peer. */
  confirmed: z.boolean(),
  /** Why not, in words for the user (and the admin). */
  reason: z.string().nullable(),
});

/**
 * Every call the public service answers. Each is POST /api/v1/<name> on an edge with the input
 * as JSON. Calls that change something (mutates) need an Idempotency-Key header, which Core
 * de-duplicates: a request the balancer retried on another edge is answered, not done twice.
 */
export const EDGE_CALLS = {
  /** What an invite is for, before anything is made. */
  'invite.lookup': {
    mutates: false,
    input: z.strictObject({ token: InviteToken }),
    output: z.strictObject({ location: z.string(), device: z.string(), mfa: z.boolean(), expiresAt: z.string() }),
  },
  /** MFA locations: the authenticator secret for this invite (the same one until the invite is used). */
  'enroll.totp': {
    // Idempotent by itself (the same secret until the invite is used), and its answer holds the
    // secret, which must not be kept in the reply cache: no idempotency key.
    mutates: false,
    input: z.strictObject({ token: InviteToken }),
    output: z.strictObject({ secret: z.string(), uri: z.string(), issuer: z.string(), label: z.string(), digits: z.number().int(), periodSeconds: z.number().int() }),
  },
  /** Makes the device with the browser's public key (and, with MFA, a first code); uses the invite. */
  'enroll.complete': {
    mutates: true,
    input: z.strictObject({ token: InviteToken, publicKey: BrowserPublicKey, code: TotpCode.optional() }),
    output: z.strictObject({
      location: z.string(),
      device: z.string(),
      mfa: z.boolean(),
      /** Everything of the config but the private key, which the browser adds. */
      config: ClientConfigModel.omit({ privateKey: true }),
      /** MFA locations: where the user connects with a code; null otherwise. */
      connectUrl: z.string().nullable(),
    }),
  },
  /** What a connect link is for. */
  'connect.lookup': {
    mutates: false,
    input: z.strictObject({ device: ConnectId }),
    output: z.strictObject({ location: z.string(), device: z.string(), disconnectThreshold: z.number().int() }),
  },
  /** Starts an MFA session with a current code; answers once every linked gateway has the peer, or names those that did not. */
  connect: {
    mutates: true,
    input: z.strictObject({ device: ConnectId, code: TotpCode }),
    output: z.strictObject({
      connected: z.boolean(),
      location: z.string(),
      device: z.string(),
      session: z.number().int(),
      /** Each gateway of the location: whether it confirmed the peer within the deadline. */
      gateways: z.array(GatewayConfirmation),
      /** How long Core waited for the gateways, in milliseconds. */
      tookMs: z.number(),
      /** Seconds without traffic after which the gateways drop the peer again. */
      disconnectThreshold: z.number().int(),
    }),
  },
} as const;

export type EdgeCallName = keyof typeof EDGE_CALLS;
export const EDGE_CALL_NAMES = Object.keys(EDGE_CALLS) as EdgeCallName[];
export type EdgeCallInput<N extends EdgeCallName> = z.infer<(typeof EDGE_CALLS)[N]['input']>;
export type EdgeCallOutput<N extends EdgeCallName> = z.infer<(typeof EDGE_CALLS)[N]['output']>;
export const isEdgeCallName = (s: string): s is EdgeCallName => Object.hasOwn(EDGE_CALLS, s);

/** Why a public call failed. The edge answers with `status` and this body. */
export const EDGE_ERRORS = {
  invalid_input: 400,
  csrf: 403,
  forwarded_untrusted: 400,
  invite_unknown: 404,
  invite_used: 410,
  invite_expired: 410,
  invite_revoked: 410,
  device_unknown: 404,
  no_authenticator: 409,
  bad_code: 401,
  code_reused: 401,
  locked: 429,
  conflict: 409,
  too_large: 413,
  unsupported_media_type: 415,
  not_found: 404,
  method_not_allowed: 405,
  core_unreachable: 503,
  timeout: 504,
  internal: 500,
} as const;
export type EdgeErrorCode = keyof typeof EDGE_ERRORS;
export const EdgeErrorCodeSchema = z.enum(Object.keys(EDGE_ERRORS) as [EdgeErrorCode, ...EdgeErrorCode[]]);

export const EdgeError = z.strictObject({
  error: z.strictObject({
    code: EdgeErrorCodeSchema,
    /** For the person at the browser: what happened and what to do. Never a stack or an internal name. */
    message: z.string(),
    /** The input field it concerns, if any. */
    field: z.string().nullable(),
    /** locked: seconds until another try is allowed. */
    retryAfterSeconds: z.number().int().nullable(),
  }),
});
export type EdgeError = z.infer<typeof EdgeError>;

/** Request headers of the public API. */
export const IDEMPOTENCY_HEADER = 'idempotency-key';
export const CSRF_HEADER = 'x-csrf-token';
export const CSRF_COOKIE = '__Host-bulwark-csrf';
export const IdempotencyKey = z.string().regex(/^[A-Za-z0-9_-]{16,64}$/, 'must be 16 to 64 characters of letters, digits, "_" or "-" (the page makes one per action)');

/** GET /api/v1/csrf on any edge: a token signed with the key all edges share; sent back as the x-csrf-token header with each POST. */
export const CsrfReply = z.strictObject({ token: z.string() });
