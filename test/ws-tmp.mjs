// test/helpers/server.ts
import { mkdtempSync, readFileSync as readFileSync4, rmSync as rmSync2, existsSync as existsSync2 } from "node:fs";
import { tmpdir } from "node:os";
import { join as join3 } from "node:path";
import { fileURLToPath } from "node:url";
import { pino } from "pino";

// src-main/serve.ts
import { closeSync as closeSync2, openSync as openSync2, readFileSync as readFileSync3, rmSync, writeSync as writeSync2 } from "node:fs";

// src-main/contract/errors.ts
import { z } from "zod";
var ERROR_CODES = {
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
  internal: 500
};
var ErrorCodeSchema = z.enum(Object.keys(ERROR_CODES));
var FieldIssue = z.object({ field: z.string(), message: z.string() });
var ErrorBody = z.object({
  code: ErrorCodeSchema,
  /** Names the field (when there is one) and says how to fix it. */
  message: z.string(),
  /** Input field the error is about; absent when the error is not about one field. */
  field: z.string().optional(),
  /** Every field problem found, first one first; empty when not a validation error. */
  issues: z.array(FieldIssue).default([])
});
var BulwarkError = class _BulwarkError extends Error {
  code;
  field;
  issues;
  constructor(code, message, opts = {}) {
    super(message, opts.cause === void 0 ? void 0 : { cause: opts.cause });
    this.name = "BulwarkError";
    this.code = code;
    this.field = opts.field;
    this.issues = opts.issues ?? [];
  }
  /** A problem with one input field. The message says what is wrong and how to fix it. */
  static field(field, message, code = "invalid_input") {
    return new _BulwarkError(code, `${field}: ${message}`, { field, issues: [{ field, message }] });
  }
  toBody() {
    return { code: this.code, message: this.message, field: this.field, issues: this.issues };
  }
  static fromBody(body) {
    return new _BulwarkError(body.code, body.message, { field: body.field, issues: body.issues });
  }
  get httpStatus() {
    return ERROR_CODES[this.code];
  }
};
function describe(value) {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value === "object" ? "an object" : `${typeof value}`;
}
var TYPE_NAMES = {
  int: "a whole number",
  number: "a number",
  string: "a string",
  boolean: "true or false",
  object: "a JSON object",
  array: "a JSON array"
};
function issueMessage(issue) {
  switch (issue.code) {
    case "invalid_type": {
      const got = "input" in issue ? describe(issue.input) : /received (\w+)/.exec(issue.message)?.[1] ?? "something else";
      const want = TYPE_NAMES[issue.expected] ?? `a ${issue.expected}`;
      if (got === "undefined") return `is required; give ${want}`;
      return `expected ${want}, got ${got}; send ${want}`;
    }
    case "unrecognized_keys":
      return `unknown field${issue.keys.length > 1 ? "s" : ""} ${issue.keys.map((k) => `"${k}"`).join(", ")}; remove ${issue.keys.length > 1 ? "them" : "it"}`;
    case "too_small":
      if (issue.origin === "string") return `must not be empty${Number(issue.minimum) > 1 ? ` (at least ${issue.minimum} characters)` : ""}`;
      return `must be at least ${issue.minimum}`;
    case "too_big":
      if (issue.origin === "string") return `is too long; use at most ${issue.maximum} characters`;
      return `must be at most ${issue.maximum}`;
    default:
      return issue.message;
  }
}
function fromZodError(err, prefix = "") {
  const issues = err.issues.map((issue) => {
    const path = [...issue.path.map(String)];
    if (issue.code === "unrecognized_keys" && issue.keys.length === 1) path.push(issue.keys[0] ?? "");
    const field = [prefix, ...path].filter(Boolean).join(".");
    return { field, message: issueMessage(issue) };
  });
  const first = issues[0] ?? { field: "", message: "is invalid" };
  const message = first.field ? `${first.field}: ${first.message}` : first.message;
  return new BulwarkError("invalid_input", message, { field: first.field || void 0, issues });
}

// src-main/contract/procedures.ts
import { z as z8 } from "zod";

// src-main/contract/schemas/common.ts
import { z as z2 } from "zod";

// src-main/net/ip.ts
var BITS = { 4: 32, 6: 128 };
function parseIPv4(text) {
  const parts = text.split(".");
  if (parts.length !== 4) return null;
  let value = 0n;
  for (const part of parts) {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(part)) return null;
    const n = Number(part);
    if (n > 255) return null;
    value = value << 8n | BigInt(n);
  }
  return value;
}
function parseIPv6(text) {
  if (!/^[0-9A-Fa-f:.]+$/.test(text) || text.length > 45) return null;
  let head = text;
  let tail32 = null;
  const lastColon = text.lastIndexOf(":");
  if (text.includes(".")) {
    tail32 = parseIPv4(text.slice(lastColon + 1));
    if (tail32 === null) return null;
    head = `${text.slice(0, lastColon + 1)}0:0`;
  }
  const halves = head.split("::");
  if (halves.length > 2) return null;
  const groups = (s) => s === "" ? [] : s.split(":");
  const left = groups(halves[0] ?? "");
  const right = halves.length === 2 ? groups(halves[1] ?? "") : [];
  const missing = 8 - left.length - right.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return null;
  const all = [...left, ...Array(halves.length === 2 ? missing : 0).fill("0"), ...right];
  let value = 0n;
  for (const g of all) {
    if (!/^[0-9A-Fa-f]{1,4}$/.test(g)) return null;
    value = value << 16n | BigInt(parseInt(g, 16));
  }
  if (tail32 !== null) value = value & ~0xffffffffn | tail32;
  return value;
}
function parseIp(text) {
  const v4 = parseIPv4(text);
  if (v4 !== null) return { family: 4, value: v4 };
  const v6 = text.includes(":") ? parseIPv6(text) : null;
  return v6 === null ? null : { family: 6, value: v6 };
}
function formatIp(family, value) {
  if (family === 4) {
    return [24n, 16n, 8n, 0n].map((s) => String(value >> s & 0xffn)).join(".");
  }
  const groups = [];
  for (let i = 7; i >= 0; i--) groups.push(Number(value >> BigInt(i * 16) & 0xffffn));
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(":");
  return `${hex.slice(0, bestStart).join(":")}::${hex.slice(bestStart + bestLen).join(":")}`;
}
function mask(family, prefix) {
  const bits = BigInt(BITS[family]);
  const hostBits = bits - BigInt(prefix);
  return (1n << bits) - 1n ^ (1n << hostBits) - 1n;
}
function parseCidr(text) {
  const example = "use address/prefix, such as 10.10.0.0/24 or fd00:10::/64";
  const slash = text.indexOf("/");
  if (slash < 0) return { ok: false, reason: `"${text}" has no prefix length; ${example}` };
  const addr = parseIp(text.slice(0, slash));
  if (!addr) return { ok: false, reason: `"${text}" is not an IPv4 or IPv6 network; ${example}` };
  const prefixText = text.slice(slash + 1);
  const max = BITS[addr.family];
  if (!/^[0-9]{1,3}$/.test(prefixText) || Number(prefixText) > max) {
    return { ok: false, reason: `"${text}" has an invalid prefix length; IPv${addr.family} prefixes run from 0 to ${max}` };
  }
  const prefix = Number(prefixText);
  const network = addr.value & mask(addr.family, prefix);
  if (network !== addr.value) {
    return {
      ok: false,
      reason: `"${text}" has host bits set; did you mean ${formatIp(addr.family, network)}/${prefix}?`
    };
  }
  return { ok: true, value: { family: addr.family, network, prefix } };
}
function formatCidr(c) {
  return `${formatIp(c.family, c.network)}/${c.prefix}`;
}
function cidrSize(c) {
  return 1n << BigInt(BITS[c.family] - c.prefix);
}
function cidrsOverlap(a, b) {
  if (a.family !== b.family) return false;
  const p = Math.min(a.prefix, b.prefix);
  const m = mask(a.family, p);
  return (a.network & m) === (b.network & m);
}
var MAX_DEVICE_OFFSET = 1n << 40n;
function poolLayout(c) {
  const size = cidrSize(c);
  if (size === 1n) return { gatewayOffset: 0n, devices: null };
  if (size === 2n) return { gatewayOffset: 0n, devices: { first: 1n, last: 1n } };
  const last = c.family === 4 ? size - 2n : size - 1n;
  const capped = last > MAX_DEVICE_OFFSET ? MAX_DEVICE_OFFSET : last;
  return { gatewayOffset: 1n, devices: capped >= 2n ? { first: 2n, last: capped } : null };
}
function addressAt(c, offset) {
  return formatIp(c.family, c.network + offset);
}

// src-main/net/endpoint.ts
var LABEL = /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
function isHostName(text) {
  if (text.length === 0 || text.length > 253) return false;
  if (parseIPv4(text) !== null) return true;
  const labels = text.replace(/\.$/, "").split(".");
  if (labels.every((l) => /^[0-9]+$/.test(l))) return false;
  return labels.every((l) => LABEL.test(l));
}
function parsePort(text) {
  if (!/^[0-9]{1,5}$/.test(text)) return null;
  const n = Number(text);
  return n >= 1 && n <= 65535 ? n : null;
}
function parseEndpoint(text, defaultPort) {
  const fix = "use HOST or HOST:PORT, such as vpn.example.com:51820 or [2001:db8::1]:51820";
  let host;
  let portText;
  if (text.startsWith("[")) {
    const close = text.indexOf("]");
    if (close < 0) return { ok: false, reason: `"${text}" has no closing "]"; ${fix}` };
    host = text.slice(1, close);
    const rest = text.slice(close + 1);
    if (rest !== "" && !rest.startsWith(":")) return { ok: false, reason: `"${text}" is not HOST:PORT; ${fix}` };
    portText = rest === "" ? void 0 : rest.slice(1);
    if (parseIPv6(host) === null) return { ok: false, reason: `"${host}" is not an IPv6 address; ${fix}` };
  } else if ((text.match(/:/g) ?? []).length > 1) {
    if (parseIPv6(text) === null) return { ok: false, reason: `"${text}" is not a host or address; ${fix}` };
    host = text;
  } else {
    const colon = text.indexOf(":");
    host = colon < 0 ? text : text.slice(0, colon);
    portText = colon < 0 ? void 0 : text.slice(colon + 1);
    if (!isHostName(host)) return { ok: false, reason: `"${host}" is not a valid host name or IPv4 address; ${fix}` };
  }
  if (portText === void 0) return { ok: true, value: { host, port: defaultPort } };
  const port = parsePort(portText);
  if (port === null) return { ok: false, reason: `port "${portText}" is not a number from 1 to 65535; ${fix}` };
  return { ok: true, value: { host, port } };
}
function formatEndpoint(e) {
  return e.host.includes(":") ? `[${e.host}]:${e.port}` : `${e.host}:${e.port}`;
}

// src-main/contract/schemas/common.ts
var CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
var ResourceName = z2.string().superRefine((v, ctx) => {
  if (v.length === 0) ctx.addIssue({ code: "custom", message: 'must not be empty; give a name such as "hq" or "gw-1"' });
  else if (v.length > 63) ctx.addIssue({ code: "custom", message: "is too long; use at most 63 characters" });
  else if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(v)) {
    ctx.addIssue({
      code: "custom",
      message: `${JSON.stringify(v)} is not a valid name; use letters, digits, ".", "_" or "-", starting with a letter or digit`
    });
  }
});
var DeviceName = z2.string().superRefine((v, ctx) => {
  if (v.trim().length === 0) ctx.addIssue({ code: "custom", message: 'must not be empty; give a name such as "anna-laptop"' });
  else if (v.length > 64) ctx.addIssue({ code: "custom", message: "is too long; use at most 64 characters" });
  else if (CONTROL.test(v)) {
    ctx.addIssue({ code: "custom", message: "contains a line break or control character; use printable characters only" });
  } else if (v !== v.trim()) ctx.addIssue({ code: "custom", message: "starts or ends with a space; remove it" });
});
var CidrText = z2.string().superRefine((v, ctx) => {
  const r = parseCidr(v);
  if (!r.ok) ctx.addIssue({ code: "custom", message: r.reason });
});
var WireGuardKey = z2.string().superRefine((v, ctx) => {
  if (!/^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$/.test(v)) {
    ctx.addIssue({
      code: "custom",
      message: `is not a WireGuard public key (base64 of 32 bytes, 44 characters ending in "="); give the output of "wg pubkey"`
    });
  }
});
var Port = z2.number().int().min(1).max(65535);
var PortText = z2.string().superRefine((v, ctx) => {
  if (parsePort(v) === null) ctx.addIssue({ code: "custom", message: `"${v}" is not a port; use a number from 1 to 65535` });
});
var Timestamp = z2.string();
var Empty = z2.strictObject({});

// src-main/contract/schemas/location.ts
import { z as z3 } from "zod";
var DEFAULT_WIREGUARD_PORT = 51820;
var DEFAULT_DISCONNECT_THRESHOLD_S = 300;
var MIN_MFA_DISCONNECT_THRESHOLD_S = 60;
var EndpointText = z3.string().superRefine((v, ctx) => {
  const r = parseEndpoint(v, DEFAULT_WIREGUARD_PORT);
  if (!r.ok) ctx.addIssue({ code: "custom", message: r.reason });
});
var Location = z3.object({
  name: z3.string(),
  /** The VPN address pool in CIDR form; devices get addresses from it. */
  network: z3.string(),
  /** The gateways' own tunnel address inside the pool (shared by every gateway of the location). */
  gatewayAddress: z3.string(),
  /** Host name or IP address that clients dial; the floating IP or load balancer in HA setups. */
  endpointHost: z3.string(),
  /** UDP port that every gateway of the location binds; 1–65535. */
  endpointPort: z3.number().int(),
  /** True when a device needs a fresh MFA session before its peer is configured. */
  mfa: z3.boolean(),
  /** Seconds without a handshake after which a gateway removes an MFA peer; unused without MFA. */
  disconnectThreshold: z3.number().int(),
  /** The location's WireGuard public key (base64); the private key never leaves Core unencrypted. */
  publicKey: z3.string(),
  createdAt: Timestamp,
  /** Number of gateways serving the location. */
  gatewayCount: z3.number().int(),
  /** Number of devices (peers) in the location. */
  deviceCount: z3.number().int()
});
var LocationCreateInput = z3.strictObject({
  name: ResourceName,
  network: CidrText,
  endpoint: EndpointText,
  /** Defaults to false. */
  mfa: z3.boolean().default(false),
  /** Seconds; defaults to 300; at least 60 when mfa is on. */
  disconnectThreshold: z3.number().int().min(1).max(7 * 24 * 3600).default(DEFAULT_DISCONNECT_THRESHOLD_S)
}).superRefine((v, ctx) => {
  if (v.mfa && v.disconnectThreshold < MIN_MFA_DISCONNECT_THRESHOLD_S) {
    ctx.addIssue({
      code: "custom",
      path: ["disconnectThreshold"],
      message: `${v.disconnectThreshold} s is too short for an MFA location; use at least ${MIN_MFA_DISCONNECT_THRESHOLD_S} s so that idle peers are not dropped between keepalives`
    });
  }
});
var LocationRef = z3.strictObject({ name: ResourceName });

// src-main/contract/schemas/host.ts
import { z as z4 } from "zod";
var DEFAULT_SSH_PORT = 22;
var USER = /^[a-z_][a-z0-9_-]{0,31}$/;
function parseSshTarget(text) {
  const fix = "use USER@ADDRESS[:PORT], such as root@198.51.100.11 or admin@gw-1.example.com:2222";
  const at = text.indexOf("@");
  if (at < 0) return { ok: false, reason: `"${text}" has no user; ${fix}` };
  const user = text.slice(0, at);
  if (!USER.test(user)) return { ok: false, reason: `"${user}" is not a valid user name; ${fix}` };
  const ep = parseEndpoint(text.slice(at + 1), DEFAULT_SSH_PORT);
  if (!ep.ok) return { ok: false, reason: ep.reason.replace(/use HOST or HOST:PORT.*$/, fix) };
  return { ok: true, value: { user, address: ep.value.host, port: ep.value.port } };
}
var SshTargetText = z4.string().superRefine((v, ctx) => {
  const r = parseSshTarget(v);
  if (!r.ok) ctx.addIssue({ code: "custom", message: r.reason });
});
var HostAuth = z4.discriminatedUnion("kind", [
  z4.object({ kind: z4.literal("agent") }),
  /** identityFile: absolute path of a private key readable by the Bulwark server. */
  z4.object({ kind: z4.literal("key"), identityFile: z4.string() })
]);
var Host = z4.object({
  name: z4.string(),
  sshUser: z4.string(),
  sshAddress: z4.string(),
  sshPort: z4.number().int(),
  /** How Bulwark authenticates: the running ssh-agent, or a private key file. */
  auth: HostAuth,
  /** Pinned SSH host key as "SHA256:…"; null until the admin accepts it at first contact. */
  hostKeyFingerprint: z4.string().nullable(),
  createdAt: Timestamp,
  /** Roles the host plays: "gateway:<location>" or "edge"; empty when unused. */
  roles: z4.array(z4.string())
});
var HostCreateInput = z4.strictObject({
  name: ResourceName,
  ssh: SshTargetText,
  /** Absolute path of the SSH private key; absent means use the ssh-agent. */
  identityFile: z4.string().superRefine((v, ctx) => {
    if (!v.startsWith("/")) ctx.addIssue({ code: "custom", message: `"${v}" is not an absolute path; give the full path of the private key` });
    else if (/[\u0000-\u001f]/.test(v)) ctx.addIssue({ code: "custom", message: "contains a control character; give a plain file path" });
  }).optional()
});
var HostRef = z4.strictObject({ name: ResourceName });

// src-main/contract/schemas/membership.ts
import { z as z5 } from "zod";
var Gateway = z5.object({
  location: z5.string(),
  host: z5.string(),
  /** SSH address of the host, for display. */
  address: z5.string(),
  createdAt: Timestamp
});
var GatewayRef = z5.strictObject({ location: ResourceName, host: ResourceName });
var GatewayListInput = z5.strictObject({ location: ResourceName.optional() });
var Edge = z5.object({ host: z5.string(), address: z5.string(), createdAt: Timestamp });
var EdgeRef = z5.strictObject({ host: ResourceName });

// src-main/contract/schemas/device.ts
import { z as z6 } from "zod";
var Device = z6.object({
  location: z6.string(),
  name: z6.string(),
  publicKey: z6.string(),
  /** Tunnel address with its host prefix (/32 or /128). */
  address: z6.string(),
  createdAt: Timestamp
});
var DeviceAddInput = z6.strictObject({
  location: ResourceName,
  name: DeviceName,
  /** The device's own public key; absent means Core makes the key pair and returns the config once. */
  publicKey: WireGuardKey.optional()
});
var DeviceAddOutput = z6.object({
  device: Device,
  /** wg-quick client config. Holds the private key when Core made it (shown once, never stored);
   * otherwise a placeholder line for the device's own key. */
  clientConfig: z6.string(),
  /** True when clientConfig holds a private key that Core made and did not keep. */
  containsPrivateKey: z6.boolean()
});
var DeviceListInput = z6.strictObject({ location: ResourceName });
var DeviceRef = z6.strictObject({ location: ResourceName, name: DeviceName });

// src-main/contract/schemas/event.ts
import { z as z7 } from "zod";
var EVENT_KINDS = [
  "location.created",
  "location.removed",
  "host.created",
  "host.removed",
  "gateway.added",
  "gateway.removed",
  "edge.added",
  "edge.removed",
  "device.added",
  "device.removed"
];
var EventKind = z7.enum(EVENT_KINDS);
var CoreEvent = z7.object({
  /** Increasing sequence number; resume a stream after the last one seen. */
  id: z7.number().int(),
  time: Timestamp,
  /** Who made the change: "cli:root@ws-1", "ui", "desktop", "api". */
  actor: z7.string(),
  kind: EventKind,
  /** What it is about, as "<area>:<name>", e.g. "location:hq" or "device:hq/anna". */
  subject: z7.string(),
  /** Kind-specific facts; never secrets. */
  details: z7.record(z7.string(), z7.unknown())
});
var EventListInput = z7.strictObject({
  /** Return events with id greater than this; 0 or absent starts from the oldest kept. */
  after: z7.number().int().min(0).default(0),
  /** At most this many, newest last; 1–1000, default 100. */
  limit: z7.number().int().min(1).max(1e3).default(100),
  /** When true, return the newest `limit` events instead of the oldest after `after`. */
  newest: z7.boolean().default(false)
});

// src-main/contract/procedures.ts
var query = (input, output) => ({ kind: "query", input, output });
var mutation = (input, output) => ({ kind: "mutation", input, output });
var SystemInfo = z8.object({
  version: z8.string(),
  /** When this Core process started (ISO time). */
  startedAt: z8.string(),
  /** SQLite schema version reached by the migrations. */
  schemaVersion: z8.number().int()
});
var Removed = z8.object({ removed: z8.literal(true) });
var procedures = {
  "system.info": query(Empty, SystemInfo),
  "locations.list": query(Empty, z8.array(Location)),
  "locations.get": query(LocationRef, Location),
  "locations.create": mutation(LocationCreateInput, Location),
  "locations.remove": mutation(LocationRef, Removed),
  "hosts.list": query(Empty, z8.array(Host)),
  "hosts.get": query(HostRef, Host),
  "hosts.create": mutation(HostCreateInput, Host),
  "hosts.remove": mutation(HostRef, Removed),
  "gateways.list": query(GatewayListInput, z8.array(Gateway)),
  "gateways.add": mutation(GatewayRef, Gateway),
  "gateways.remove": mutation(GatewayRef, Removed),
  "edges.list": query(Empty, z8.array(Edge)),
  "edges.add": mutation(EdgeRef, Edge),
  "edges.remove": mutation(EdgeRef, Removed),
  "devices.list": query(DeviceListInput, z8.array(Device)),
  "devices.add": mutation(DeviceAddInput, DeviceAddOutput),
  "devices.remove": mutation(DeviceRef, Removed),
  "events.list": query(EventListInput, z8.array(CoreEvent))
};
var PROCEDURE_NAMES = Object.keys(procedures);
function isProcedureName(name) {
  return Object.prototype.hasOwnProperty.call(procedures, name);
}
var StreamMessage = z8.discriminatedUnion("type", [
  z8.object({ type: z8.literal("event"), event: CoreEvent }),
  /** Sent once when a subscriber is attached; `lastId` is the newest event id at that moment. */
  z8.object({ type: z8.literal("ready"), lastId: z8.number().int() })
]);

// src-main/core/system.ts
import { accessSync, constants, statSync } from "node:fs";

// src-main/store/db.ts
import Database from "better-sqlite3";

// src-main/store/migrations/0001-init.ts
var m0001Init = {
  version: 1,
  name: "init",
  sql: `
CREATE TABLE locations (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE COLLATE NOCASE,
  network TEXT NOT NULL,
  family INTEGER NOT NULL CHECK (family IN (4, 6)),
  endpoint_host TEXT NOT NULL,
  endpoint_port INTEGER NOT NULL CHECK (endpoint_port BETWEEN 1 AND 65535),
  mfa INTEGER NOT NULL CHECK (mfa IN (0, 1)),
  disconnect_threshold INTEGER NOT NULL CHECK (disconnect_threshold > 0),
  wg_public_key TEXT NOT NULL,
  wg_private_key_enc BLOB NOT NULL,
  created_at TEXT NOT NULL
) STRICT;
CREATE TABLE hosts (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE COLLATE NOCASE,
  ssh_user TEXT NOT NULL,
  ssh_address TEXT NOT NULL,
  ssh_port INTEGER NOT NULL CHECK (ssh_port BETWEEN 1 AND 65535),
  auth_kind TEXT NOT NULL CHECK (auth_kind IN ('agent', 'key')),
  identity_file TEXT,
  host_key_fingerprint TEXT,
  created_at TEXT NOT NULL,
  CHECK ((auth_kind = 'key') = (identity_file IS NOT NULL))
) STRICT;
CREATE TABLE gateways (
  id INTEGER PRIMARY KEY,
  location_id INTEGER NOT NULL REFERENCES locations (id) ON DELETE RESTRICT,
  host_id INTEGER NOT NULL REFERENCES hosts (id) ON DELETE RESTRICT,
  created_at TEXT NOT NULL,
  UNIQUE (location_id, host_id)
) STRICT;
CREATE INDEX gateways_host ON gateways (host_id);
CREATE TABLE edges (
  id INTEGER PRIMARY KEY,
  host_id INTEGER NOT NULL UNIQUE REFERENCES hosts (id) ON DELETE RESTRICT,
  created_at TEXT NOT NULL
) STRICT;
CREATE TABLE devices (
  id INTEGER PRIMARY KEY,
  location_id INTEGER NOT NULL REFERENCES locations (id) ON DELETE RESTRICT,
  name TEXT NOT NULL COLLATE NOCASE,
  public_key TEXT NOT NULL,
  host_index INTEGER NOT NULL CHECK (host_index > 0),
  address TEXT NOT NULL,
  created_at TEXT NOT NULL,
  UNIQUE (location_id, name),
  UNIQUE (location_id, public_key),
  UNIQUE (location_id, host_index)
) STRICT;
CREATE TABLE events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  time TEXT NOT NULL,
  actor TEXT NOT NULL,
  kind TEXT NOT NULL,
  subject TEXT NOT NULL,
  details TEXT NOT NULL DEFAULT '{}'
) STRICT;
CREATE TRIGGER events_append_only_update BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
CREATE TRIGGER events_append_only_delete BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
`
};

// src-main/store/migrations/index.ts
var MIGRATIONS = [m0001Init];

// src-main/store/db.ts
var Store = class _Store {
  constructor(db, opts) {
    this.opts = opts;
    this.db = db;
    this.tx = {
      get: (sql, ...p) => this.stmt(sql).get(...p),
      all: (sql, ...p) => this.stmt(sql).all(...p),
      run: (sql, ...p) => this.stmt(sql).run(...p),
      event: (e) => this.appendEvent(e)
    };
    const write = db.transaction((fn) => fn());
    const read = db.transaction((fn) => fn());
    this.writeTx = (fn) => write.immediate(fn);
    this.readTx = (fn) => read.deferred(fn);
  }
  opts;
  db;
  statements = /* @__PURE__ */ new Map();
  listeners = /* @__PURE__ */ new Set();
  pending = [];
  tx;
  writeTx;
  readTx;
  /** Opens (creating if needed) the database file and brings its schema up to date. */
  static open(file, opts) {
    const db = new Database(file);
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = NORMAL");
    db.pragma("foreign_keys = ON");
    db.pragma("busy_timeout = 5000");
    const store = new _Store(db, opts);
    store.migrate(MIGRATIONS);
    return store;
  }
  get schemaVersion() {
    return this.db.pragma("user_version", { simple: true });
  }
  migrate(migrations) {
    const known = migrations.at(-1)?.version ?? 0;
    if (this.schemaVersion > known) {
      throw new Error(
        `the database ${this.db.name} has schema version ${this.schemaVersion}, newer than this Bulwark knows (${known}); upgrade Bulwark or use a backup`
      );
    }
    for (const m of migrations) {
      if (m.version <= this.schemaVersion) continue;
      this.db.transaction(() => {
        this.db.exec(m.sql);
        this.db.pragma(`user_version = ${m.version}`);
      }).immediate();
    }
  }
  /** Runs fn in a write transaction (BEGIN IMMEDIATE): all of it commits, or none of it. */
  write(fn) {
    this.pending = [];
    let result;
    try {
      result = this.writeTx(() => fn(this.tx));
    } catch (err) {
      this.pending = [];
      throw err;
    }
    const committed = this.pending;
    this.pending = [];
    if (committed.length > 0) for (const l of this.listeners) l(committed);
    return result;
  }
  /** Runs fn in a read transaction: a consistent snapshot. */
  read(fn) {
    return this.readTx(() => fn(this.tx));
  }
  /** Called with the events of each committed write, in order. */
  onDidCommit(listener) {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  close() {
    this.statements.clear();
    if (this.db.open) this.db.close();
  }
  stmt(sql) {
    let s = this.statements.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.statements.set(sql, s);
    }
    return s;
  }
  appendEvent(e) {
    if (!this.db.inTransaction) throw new Error("invariant failed: events are written inside a write transaction");
    const time = this.opts.now().toISOString();
    const actor = this.opts.actor?.() ?? "core";
    const details = e.details ?? {};
    const r = this.tx.run(
      "INSERT INTO events (time, actor, kind, subject, details) VALUES (?, ?, ?, ?, ?)",
      time,
      actor,
      e.kind,
      e.subject,
      JSON.stringify(details)
    );
    const event = { id: Number(r.lastInsertRowid), time, actor, kind: e.kind, subject: e.subject, details };
    this.pending.push(event);
    return event;
  }
};

// src-main/config-gen/wireguard/client-config.ts
function oneLine(s) {
  return s.replace(/[\r\n\u2028\u2029]/g, " ");
}
function renderClientConfig(m) {
  return [
    `# Bulwark device "${oneLine(m.deviceName)}" in location "${oneLine(m.locationName)}"`,
    "[Interface]",
    m.privateKey === null ? "# Replace with the private key that belongs to the public key you gave Bulwark." : null,
    `PrivateKey = ${m.privateKey ?? "<your private key>"}`,
    `Address = ${m.address}`,
    "",
    "[Peer]",
    `PublicKey = ${m.serverPublicKey}`,
    `AllowedIPs = ${m.allowedIps.join(", ")}`,
    `Endpoint = ${m.endpoint}`,
    `PersistentKeepalive = ${m.persistentKeepalive}`,
    ""
  ].filter((l) => l !== null).join("\n");
}

// src-main/core/locations/location-service.ts
var SELECT = `SELECT l.*,
  (SELECT count(*) FROM gateways g WHERE g.location_id = l.id) AS gateway_count,
  (SELECT count(*) FROM devices d WHERE d.location_id = l.id) AS device_count
  FROM locations l`;
function locationCidr(row) {
  const r = parseCidr(row.network);
  if (!r.ok) throw new Error(`invariant failed: stored network ${row.network} parses`);
  return r.value;
}
function toLocation(row) {
  const cidr = locationCidr(row);
  return {
    name: row.name,
    network: row.network,
    gatewayAddress: addressAt(cidr, poolLayout(cidr).gatewayOffset),
    endpointHost: row.endpoint_host,
    endpointPort: row.endpoint_port,
    mfa: row.mfa === 1,
    disconnectThreshold: row.disconnect_threshold,
    publicKey: row.wg_public_key,
    createdAt: row.created_at,
    gatewayCount: row.gateway_count,
    deviceCount: row.device_count
  };
}
function requireLocation(tx, name, field = "location") {
  const row = tx.get("SELECT * FROM locations WHERE name = ?", name);
  if (!row) {
    throw new BulwarkError("not_found", `${field}: no location named ${JSON.stringify(name)}; see "bulwark location list"`, {
      field,
      issues: [{ field, message: `no location named ${JSON.stringify(name)}; see "bulwark location list"` }]
    });
  }
  return row;
}
var LocationService = class {
  constructor(store, secrets, ports) {
    this.store = store;
    this.secrets = secrets;
    this.ports = ports;
  }
  store;
  secrets;
  ports;
  list() {
    return this.store.read((tx) => tx.all(`${SELECT} ORDER BY l.name`).map(toLocation));
  }
  get(name) {
    return this.store.read((tx) => {
      const row = tx.get(`${SELECT} WHERE l.name = ?`, name);
      if (!row) requireLocation(tx, name, "name");
      return toLocation(row);
    });
  }
  create(input) {
    const parsed = input;
    const cidr = locationCidr(parsed);
    const layout = poolLayout(cidr);
    if (!layout.devices) {
      throw BulwarkError.field("network", `${parsed.network} has room for the gateway only; use a /30 or larger (IPv6: /126 or larger)`);
    }
    const endpoint = parseEndpoint(parsed.endpoint, 51820);
    if (!endpoint.ok) throw BulwarkError.field("endpoint", endpoint.reason);
    const keys = this.ports.generateKeyPair();
    const sealed = this.secrets.seal(keys.privateKey, "location-wireguard-private-key");
    const createdAt = this.ports.now().toISOString();
    return this.store.write((tx) => {
      const same = tx.get("SELECT name FROM locations WHERE name = ?", parsed.name);
      if (same) {
        throw BulwarkError.field("name", `a location named ${JSON.stringify(same.name)} already exists; choose another name`, "already_exists");
      }
      for (const other of tx.all("SELECT * FROM locations WHERE family = ?", cidr.family)) {
        const otherCidr = locationCidr(other);
        if (cidrsOverlap(cidr, otherCidr)) {
          throw BulwarkError.field(
            "network",
            `${formatCidr(cidr)} overlaps location ${JSON.stringify(other.name)} (${other.network}); choose a range that no other location uses`,
            "overlap"
          );
        }
      }
      tx.run(
        `INSERT INTO locations (name, network, family, endpoint_host, endpoint_port, mfa, disconnect_threshold,
           wg_public_key, wg_private_key_enc, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        parsed.name,
        formatCidr(cidr),
        cidr.family,
        endpoint.value.host,
        endpoint.value.port,
        parsed.mfa ? 1 : 0,
        parsed.disconnectThreshold,
        keys.publicKey,
        sealed,
        createdAt
      );
      tx.event({
        kind: "location.created",
        subject: `location:${parsed.name}`,
        details: { network: formatCidr(cidr), endpoint: `${endpoint.value.host}:${endpoint.value.port}`, mfa: parsed.mfa }
      });
      return toLocation(tx.get(`${SELECT} WHERE l.name = ?`, parsed.name));
    });
  }
  remove(name) {
    return this.store.write((tx) => {
      const row = requireLocation(tx, name, "name");
      const gateways = tx.get("SELECT count(*) AS n FROM gateways WHERE location_id = ?", row.id)?.n ?? 0;
      const devices = tx.get("SELECT count(*) AS n FROM devices WHERE location_id = ?", row.id)?.n ?? 0;
      if (gateways + devices > 0) {
        const parts = [gateways ? `${gateways} gateway${gateways > 1 ? "s" : ""}` : "", devices ? `${devices} device${devices > 1 ? "s" : ""}` : ""].filter(Boolean).join(" and ");
        const how = [
          gateways ? `"bulwark gateway remove --location ${row.name} --host HOST"` : "",
          devices ? `"bulwark device remove --location ${row.name} NAME"` : ""
        ].filter(Boolean).join(" and ");
        throw new BulwarkError("in_use", `location ${JSON.stringify(row.name)} still has ${parts}; remove them first with ${how}`, { field: "name" });
      }
      tx.run("DELETE FROM locations WHERE id = ?", row.id);
      tx.event({ kind: "location.removed", subject: `location:${row.name}`, details: { network: row.network } });
      return { removed: true };
    });
  }
  /** The location's WireGuard private key, for the gateway configuration. Never logged. */
  privateKey(name) {
    const row = this.store.read((tx) => requireLocation(tx, name, "name"));
    return this.secrets.open(row.wg_private_key_enc, "location-wireguard-private-key");
  }
};

// src-main/core/devices/device-service.ts
var SELECT2 = `SELECT d.id, l.name AS location, d.name, d.public_key, d.host_index, d.address, d.created_at
  FROM devices d JOIN locations l ON l.id = d.location_id`;
var toDevice = (r) => ({
  location: r.location,
  name: r.name,
  publicKey: r.public_key,
  address: r.address,
  createdAt: r.created_at
});
var CLIENT_KEEPALIVE_S = 25;
function allocateOffset(tx, location, cidr) {
  const range = poolLayout(cidr).devices;
  const full = () => BulwarkError.field("location", `the address pool ${location.network} of location ${location.name} is full; remove unused devices or create a location with a larger network`, "pool_exhausted");
  if (!range) throw full();
  const max = tx.get("SELECT max(host_index) AS m FROM devices WHERE location_id = ?", location.id)?.m;
  if (max === null || max === void 0) return range.first;
  if (BigInt(max) < range.last) return BigInt(max) + 1n;
  const min = tx.get("SELECT min(host_index) AS m FROM devices WHERE location_id = ?", location.id)?.m ?? 0;
  if (BigInt(min) > range.first) return range.first;
  const gap = tx.get(
    `SELECT d.host_index + 1 AS c FROM devices d WHERE d.location_id = ?
       AND NOT EXISTS (SELECT 1 FROM devices e WHERE e.location_id = d.location_id AND e.host_index = d.host_index + 1)
     ORDER BY d.host_index LIMIT 1`,
    location.id
  )?.c;
  if (gap !== void 0 && BigInt(gap) <= range.last) return BigInt(gap);
  throw full();
}
var DeviceService = class {
  constructor(store, ports) {
    this.store = store;
    this.ports = ports;
  }
  store;
  ports;
  list(location) {
    return this.store.read((tx) => {
      requireLocation(tx, location);
      return tx.all(`${SELECT2} WHERE l.name = ? ORDER BY d.host_index`, location).map(toDevice);
    });
  }
  add(input) {
    const keys = input.publicKey === void 0 ? this.ports.generateKeyPair() : null;
    const publicKey = input.publicKey ?? keys.publicKey;
    const createdAt = this.ports.now().toISOString();
    const { device, location } = this.store.write((tx) => {
      const loc = requireLocation(tx, input.location);
      if (tx.get("SELECT id FROM devices WHERE location_id = ? AND name = ?", loc.id, input.name)) {
        throw BulwarkError.field("name", `location ${loc.name} already has a device named ${JSON.stringify(input.name)}; choose another name`, "already_exists");
      }
      const owner = tx.get("SELECT name FROM devices WHERE location_id = ? AND public_key = ?", loc.id, publicKey);
      if (owner || publicKey === loc.wg_public_key) {
        const who = owner ? `device ${JSON.stringify(owner.name)}` : "the location itself";
        throw BulwarkError.field("publicKey", `this key is already used by ${who} in location ${loc.name}; every device needs its own key pair`, "already_exists");
      }
      const cidr = locationCidr(loc);
      const offset = allocateOffset(tx, loc, cidr);
      const address = `${addressAt(cidr, offset)}/${cidr.family === 4 ? 32 : 128}`;
      const r = tx.run(
        "INSERT INTO devices (location_id, name, public_key, host_index, address, created_at) VALUES (?, ?, ?, ?, ?, ?)",
        loc.id,
        input.name,
        publicKey,
        offset,
        address,
        createdAt
      );
      tx.event({
        kind: "device.added",
        subject: `device:${loc.name}/${input.name}`,
        details: { location: loc.name, name: input.name, address, publicKey }
      });
      return { device: toDevice(tx.get(`${SELECT2} WHERE d.id = ?`, r.lastInsertRowid)), location: loc };
    });
    const clientConfig = renderClientConfig({
      locationName: location.name,
      deviceName: device.name,
      privateKey: keys?.privateKey ?? null,
      address: device.address,
      serverPublicKey: location.wg_public_key,
      allowedIps: [location.network],
      endpoint: formatEndpoint({ host: location.endpoint_host, port: location.endpoint_port }),
      persistentKeepalive: CLIENT_KEEPALIVE_S
    });
    return { device, clientConfig, containsPrivateKey: keys !== null };
  }
  remove(location, name) {
    return this.store.write((tx) => {
      const loc = requireLocation(tx, location);
      const row = tx.get(`${SELECT2} WHERE d.location_id = ? AND d.name = ?`, loc.id, name);
      if (!row) {
        const message = `location ${loc.name} has no device named ${JSON.stringify(name)}; see "bulwark device list --location ${loc.name}"`;
        throw new BulwarkError("not_found", `name: ${message}`, { field: "name", issues: [{ field: "name", message }] });
      }
      tx.run("DELETE FROM devices WHERE id = ?", row.id);
      tx.event({ kind: "device.removed", subject: `device:${loc.name}/${row.name}`, details: { location: loc.name, name: row.name, address: row.address } });
      return { removed: true };
    });
  }
};

// src-main/core/hosts/host-service.ts
function requireHost(tx, name, field = "host") {
  const row = tx.get("SELECT * FROM hosts WHERE name = ?", name);
  if (!row) {
    const message = `no host named ${JSON.stringify(name)}; add it with "bulwark host add" or see "bulwark host list"`;
    throw new BulwarkError("not_found", `${field}: ${message}`, { field, issues: [{ field, message }] });
  }
  return row;
}
function sshDisplay(row) {
  const addr = row.ssh_address.includes(":") ? `[${row.ssh_address}]` : row.ssh_address;
  return `${row.ssh_user}@${addr}:${row.ssh_port}`;
}
function roles(tx, hostId) {
  const gws = tx.all(
    "SELECT l.name FROM gateways g JOIN locations l ON l.id = g.location_id WHERE g.host_id = ? ORDER BY l.name",
    hostId
  );
  const edge = tx.get("SELECT id FROM edges WHERE host_id = ?", hostId);
  return [...gws.map((g) => `gateway:${g.name}`), ...edge ? ["edge"] : []];
}
function toHost(tx, row) {
  return {
    name: row.name,
    sshUser: row.ssh_user,
    sshAddress: row.ssh_address,
    sshPort: row.ssh_port,
    auth: row.auth_kind === "key" ? { kind: "key", identityFile: row.identity_file ?? "" } : { kind: "agent" },
    hostKeyFingerprint: row.host_key_fingerprint,
    createdAt: row.created_at,
    roles: roles(tx, row.id)
  };
}
var HostService = class {
  constructor(store, ports) {
    this.store = store;
    this.ports = ports;
  }
  store;
  ports;
  list() {
    return this.store.read((tx) => tx.all("SELECT * FROM hosts ORDER BY name").map((r) => toHost(tx, r)));
  }
  get(name) {
    return this.store.read((tx) => toHost(tx, requireHost(tx, name, "name")));
  }
  create(input) {
    const target = parseSshTarget(input.ssh);
    if (!target.ok) throw BulwarkError.field("ssh", target.reason);
    if (input.identityFile !== void 0 && !this.ports.isReadableFile(input.identityFile)) {
      throw BulwarkError.field(
        "identityFile",
        `${input.identityFile} does not exist or is not readable by the Bulwark server; give the path of an SSH private key, or leave it out to use the ssh-agent`
      );
    }
    const createdAt = this.ports.now().toISOString();
    return this.store.write((tx) => {
      const same = tx.get("SELECT name FROM hosts WHERE name = ?", input.name);
      if (same) throw BulwarkError.field("name", `a host named ${JSON.stringify(same.name)} already exists; choose another name`, "already_exists");
      const r = tx.run(
        `INSERT INTO hosts (name, ssh_user, ssh_address, ssh_port, auth_kind, identity_file, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
        input.name,
        target.value.user,
        target.value.address,
        target.value.port,
        input.identityFile ? "key" : "agent",
        input.identityFile ?? null,
        createdAt
      );
      const row = tx.get("SELECT * FROM hosts WHERE id = ?", r.lastInsertRowid);
      tx.event({ kind: "host.created", subject: `host:${row.name}`, details: { ssh: sshDisplay(row), auth: row.auth_kind } });
      return toHost(tx, row);
    });
  }
  remove(name) {
    return this.store.write((tx) => {
      const row = requireHost(tx, name, "name");
      const used = roles(tx, row.id);
      if (used.length > 0) {
        const how = used.map((r) => r === "edge" ? `"bulwark edge remove --host ${row.name}"` : `"bulwark gateway remove --location ${r.slice(8)} --host ${row.name}"`).join(" and ");
        const message = `host ${JSON.stringify(row.name)} is still ${used.join(", ")}; remove ${used.length > 1 ? "those roles" : "that role"} first with ${how}`;
        throw new BulwarkError("in_use", message, { field: "name" });
      }
      tx.run("DELETE FROM hosts WHERE id = ?", row.id);
      tx.event({ kind: "host.removed", subject: `host:${row.name}`, details: { ssh: sshDisplay(row) } });
      return { removed: true };
    });
  }
};

// src-main/core/edges/edge-service.ts
var SELECT3 = "SELECT h.*, e.created_at AS edge_created_at FROM edges e JOIN hosts h ON h.id = e.host_id";
var toEdge = (r) => ({ host: r.name, address: sshDisplay(r), createdAt: r.edge_created_at });
var EdgeService = class {
  constructor(store, ports) {
    this.store = store;
    this.ports = ports;
  }
  store;
  ports;
  list() {
    return this.store.read((tx) => tx.all(`${SELECT3} ORDER BY h.name`).map(toEdge));
  }
  add(host) {
    const createdAt = this.ports.now().toISOString();
    return this.store.write((tx) => {
      const h = requireHost(tx, host);
      if (tx.get("SELECT id FROM edges WHERE host_id = ?", h.id)) {
        throw BulwarkError.field("host", `${h.name} is already an edge`, "already_exists");
      }
      tx.run("INSERT INTO edges (host_id, created_at) VALUES (?, ?)", h.id, createdAt);
      tx.event({ kind: "edge.added", subject: `edge:${h.name}`, details: { host: h.name } });
      return toEdge(tx.get(`${SELECT3} WHERE e.host_id = ?`, h.id));
    });
  }
  remove(host) {
    return this.store.write((tx) => {
      const h = requireHost(tx, host);
      if (tx.run("DELETE FROM edges WHERE host_id = ?", h.id).changes === 0) {
        const message = `${h.name} is not an edge; see "bulwark edge list"`;
        throw new BulwarkError("not_found", `host: ${message}`, { field: "host", issues: [{ field: "host", message }] });
      }
      tx.event({ kind: "edge.removed", subject: `edge:${h.name}`, details: { host: h.name } });
      return { removed: true };
    });
  }
};

// src-main/core/events/event-service.ts
var toEvent = (r) => CoreEvent.parse({ ...r, details: JSON.parse(r.details) });
var EventService = class {
  constructor(store) {
    this.store = store;
  }
  store;
  list(q) {
    return this.store.read((tx) => {
      if (q.newest) {
        const rows = tx.all("SELECT * FROM events WHERE id > ? ORDER BY id DESC LIMIT ?", q.after, q.limit);
        return rows.reverse().map(toEvent);
      }
      return tx.all("SELECT * FROM events WHERE id > ? ORDER BY id LIMIT ?", q.after, q.limit).map(toEvent);
    });
  }
  lastId() {
    return this.store.read((tx) => tx.get("SELECT max(id) AS id FROM events")?.id ?? 0);
  }
};

// src-main/core/gateways/gateway-service.ts
var SELECT4 = `SELECT l.name AS location, h.name, h.ssh_user, h.ssh_address, h.ssh_port, g.created_at
  FROM gateways g JOIN locations l ON l.id = g.location_id JOIN hosts h ON h.id = g.host_id`;
var toGateway = (r) => ({ location: r.location, host: r.name, address: sshDisplay(r), createdAt: r.created_at });
var GatewayService = class {
  constructor(store, ports) {
    this.store = store;
    this.ports = ports;
  }
  store;
  ports;
  list(location) {
    return this.store.read((tx) => {
      if (location === void 0) return tx.all(`${SELECT4} ORDER BY l.name, h.name`).map(toGateway);
      requireLocation(tx, location);
      return tx.all(`${SELECT4} WHERE l.name = ? ORDER BY h.name`, location).map(toGateway);
    });
  }
  add(location, host) {
    const createdAt = this.ports.now().toISOString();
    return this.store.write((tx) => {
      const loc = requireLocation(tx, location);
      const h = requireHost(tx, host);
      if (tx.get("SELECT id FROM gateways WHERE location_id = ? AND host_id = ?", loc.id, h.id)) {
        throw BulwarkError.field("host", `${h.name} is already a gateway of location ${loc.name}`, "already_exists");
      }
      tx.run("INSERT INTO gateways (location_id, host_id, created_at) VALUES (?, ?, ?)", loc.id, h.id, createdAt);
      tx.event({ kind: "gateway.added", subject: `gateway:${loc.name}/${h.name}`, details: { location: loc.name, host: h.name } });
      return toGateway(tx.get(`${SELECT4} WHERE g.location_id = ? AND g.host_id = ?`, loc.id, h.id));
    });
  }
  remove(location, host) {
    return this.store.write((tx) => {
      const loc = requireLocation(tx, location);
      const h = requireHost(tx, host);
      const r = tx.run("DELETE FROM gateways WHERE location_id = ? AND host_id = ?", loc.id, h.id);
      if (r.changes === 0) {
        const message = `${h.name} is not a gateway of location ${loc.name}; see "bulwark gateway list --location ${loc.name}"`;
        throw new BulwarkError("not_found", `host: ${message}`, { field: "host", issues: [{ field: "host", message }] });
      }
      tx.event({ kind: "gateway.removed", subject: `gateway:${loc.name}/${h.name}`, details: { location: loc.name, host: h.name } });
      return { removed: true };
    });
  }
};

// src-main/core/keys/wireguard.ts
import { createPrivateKey, createPublicKey, generateKeyPairSync } from "node:crypto";
var PKCS8_X25519_PREFIX = Buffer.from("302e020100300506032b656e04220420", "hex");
var b64 = (b64url) => Buffer.from(b64url, "base64url").toString("base64");
function generateWireGuardKeyPair() {
  const { privateKey, publicKey } = generateKeyPairSync("x25519");
  const priv = privateKey.export({ format: "jwk" });
  const pub = publicKey.export({ format: "jwk" });
  if (!priv.d || !pub.x) throw new Error("invariant failed: x25519 JWK export lacks d or x");
  return { privateKey: b64(priv.d), publicKey: b64(pub.x) };
}

// src-main/core/keys/secret-box.ts
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
var VERSION = 1;
var SecretBox = class {
  constructor(key) {
    this.key = key;
    if (key.length !== 32) throw new Error("invariant failed: the master key is 32 bytes");
  }
  key;
  /** `purpose` is bound as associated data, so a ciphertext cannot be moved to another use. */
  seal(plaintext, purpose) {
    const iv = randomBytes(12);
    const cipher = createCipheriv("aes-256-gcm", this.key, iv);
    cipher.setAAD(Buffer.from(purpose));
    const body = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
    return Buffer.concat([Buffer.from([VERSION]), iv, cipher.getAuthTag(), body]);
  }
  open(sealed, purpose) {
    if (sealed[0] !== VERSION) throw new Error(`unknown secret format ${sealed[0]}`);
    const decipher = createDecipheriv("aes-256-gcm", this.key, sealed.subarray(1, 13));
    decipher.setAAD(Buffer.from(purpose));
    decipher.setAuthTag(sealed.subarray(13, 29));
    return Buffer.concat([decipher.update(sealed.subarray(29)), decipher.final()]).toString("utf8");
  }
};

// src-main/core/context.ts
import { AsyncLocalStorage } from "node:async_hooks";
var callContext = new AsyncLocalStorage();
function currentActor() {
  return callContext.getStore()?.actor ?? "core";
}

// src-main/core/router.ts
function createHandlers(s) {
  return {
    "system.info": () => s.info(),
    "locations.list": () => s.locations.list(),
    "locations.get": (i) => s.locations.get(i.name),
    "locations.create": (i) => s.locations.create(i),
    "locations.remove": (i) => s.locations.remove(i.name),
    "hosts.list": () => s.hosts.list(),
    "hosts.get": (i) => s.hosts.get(i.name),
    "hosts.create": (i) => s.hosts.create(i),
    "hosts.remove": (i) => s.hosts.remove(i.name),
    "gateways.list": (i) => s.gateways.list(i.location),
    "gateways.add": (i) => s.gateways.add(i.location, i.host),
    "gateways.remove": (i) => s.gateways.remove(i.location, i.host),
    "edges.list": () => s.edges.list(),
    "edges.add": (i) => s.edges.add(i.host),
    "edges.remove": (i) => s.edges.remove(i.host),
    "devices.list": (i) => s.devices.list(i.location),
    "devices.add": (i) => s.devices.add(i),
    "devices.remove": (i) => s.devices.remove(i.location, i.name),
    "events.list": (i) => s.events.list(i)
  };
}

// src-main/core/system.ts
var VERSION2 = "0.1.0";
function isReadableFile(path) {
  try {
    accessSync(path, constants.R_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}
function createCore(opts) {
  const ports = {
    now: () => /* @__PURE__ */ new Date(),
    generateKeyPair: generateWireGuardKeyPair,
    isReadableFile,
    ...opts.ports
  };
  const startedAt = ports.now().toISOString();
  const store = Store.open(opts.dbFile, { now: ports.now, actor: currentActor });
  const secrets = new SecretBox(opts.masterKey);
  const locations = new LocationService(store, secrets, ports);
  const events = new EventService(store);
  const handlers = createHandlers({
    info: () => ({ version: VERSION2, startedAt, schemaVersion: store.schemaVersion }),
    locations,
    hosts: new HostService(store, ports),
    gateways: new GatewayService(store, ports),
    edges: new EdgeService(store, ports),
    devices: new DeviceService(store, ports),
    events
  });
  async function call(name, input, ctx) {
    if (!isProcedureName(name)) {
      throw new BulwarkError("unknown_procedure", `no procedure named ${JSON.stringify(name)}; this Core offers ${Object.keys(procedures).join(", ")}`);
    }
    const def = procedures[name];
    const parsed = def.input.safeParse(input ?? {});
    if (!parsed.success) throw fromZodError(parsed.error);
    let result;
    try {
      const handler = handlers[name];
      result = await callContext.run(ctx, () => handler(parsed.data));
    } catch (err) {
      if (err instanceof BulwarkError) throw err;
      opts.onInternalError?.(name, err);
      throw new BulwarkError("internal", `${name} failed inside Core: ${err.message ?? String(err)}`, { cause: err });
    }
    const out = def.output.safeParse(result);
    if (!out.success) {
      opts.onInternalError?.(name, out.error);
      throw new BulwarkError("internal", `${name} returned output that does not match the contract (a Bulwark bug): ${out.error.message}`);
    }
    return out.data;
  }
  return {
    call,
    invoke: (name, input, ctx = { actor: "core" }) => call(name, input, ctx),
    onDidEvent: (listener) => store.onDidCommit((evs) => evs.forEach(listener)),
    lastEventId: () => events.lastId(),
    store,
    services: { locations },
    close: () => store.close()
  };
}

// src-main/platform/data-dir.ts
import { randomBytes as randomBytes2 } from "node:crypto";
import { chmodSync, mkdirSync, openSync, readFileSync, statSync as statSync2, writeSync, closeSync, renameSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
function dataDirPaths(dir) {
  return {
    dir,
    db: join(dir, "bulwark.db"),
    token: join(dir, "token"),
    masterKey: join(dir, "secret.key"),
    server: join(dir, "server.json"),
    lock: join(dir, "serve.lock")
  };
}
function ensureDataDir(dir) {
  try {
    mkdirSync(dir, { recursive: true, mode: 448 });
  } catch (err) {
    throw new BulwarkError("invalid_input", `--data-dir: cannot create ${dir}: ${err.message}; choose a writable directory`, { field: "dataDir", cause: err });
  }
  const st = statSync2(dir);
  if (!st.isDirectory()) throw new BulwarkError("invalid_input", `--data-dir: ${dir} is not a directory; choose a directory`, { field: "dataDir" });
  if ((st.mode & 63) !== 0) {
    throw new BulwarkError(
      "invalid_input",
      `--data-dir: ${dir} is open to other users (mode ${(st.mode & 511).toString(8)}); it holds keys, so run "chmod 700 ${dir}" or choose another directory`,
      { field: "dataDir" }
    );
  }
  return dataDirPaths(dir);
}
function readOrCreateSecret(path, make) {
  try {
    const fd = openSync(path, "wx", 384);
    try {
      writeSync(fd, make());
    } finally {
      closeSync(fd);
    }
  } catch (err) {
    if (err.code !== "EEXIST") throw err;
  }
  const st = statSync2(path);
  if ((st.mode & 63) !== 0) chmodSync(path, 384);
  return readFileSync(path);
}
function loadToken(paths) {
  return readOrCreateSecret(paths.token, () => Buffer.from(randomBytes2(32).toString("base64url"))).toString("utf8").trim();
}
function loadMasterKey(paths) {
  const key = readOrCreateSecret(paths.masterKey, () => randomBytes2(32));
  if (key.length !== 32) throw new Error(`${paths.masterKey} is damaged (expected 32 bytes, found ${key.length}); restore it from a backup`);
  return key;
}
function writeServerInfo(paths, info) {
  const tmp = `${paths.server}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(info), { mode: 384 });
  renameSync(tmp, paths.server);
}

// src-main/platform/listen.ts
function parseListen(text) {
  const zero = /:0$/.test(text);
  const r = parseEndpoint(zero ? text.replace(/:0$/, ":1") : text, 7420);
  if (!r.ok) throw BulwarkError.field("--listen", `${r.reason.replace(/; use HOST.*$/, "")}; use HOST:PORT such as 127.0.0.1:7420`);
  return { host: r.value.host, port: zero ? 0 : r.value.port };
}
function isLoopback(host) {
  if (host === "localhost") return true;
  const ip = parseIp(host);
  if (!ip) return false;
  return ip.family === 4 ? ip.value >> 24n === 127n : ip.value === 1n;
}

// src-main/transport/http/server.ts
import { timingSafeEqual } from "node:crypto";
import { existsSync, readFileSync as readFileSync2 } from "node:fs";
import { join as join2 } from "node:path";
import fastifyStatic from "@fastify/static";
import fastifyWebsocket from "@fastify/websocket";
import Fastify, { LogController } from "fastify";
var BODY_LIMIT_BYTES = 1024 * 1024;
var WS_PROTOCOL = "bulwark.v1";
var WS_TOKEN_PREFIX = "bearer.";
var CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
  "form-action 'none'"
].join("; ");
function sameSecret(given, token) {
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}
function tokenOf(req) {
  const auth = req.headers.authorization;
  if (auth?.startsWith("Bearer ")) return auth.slice(7).trim();
  const protocols = req.headers["sec-websocket-protocol"];
  if (typeof protocols === "string") {
    const p = protocols.split(",").map((s) => s.trim()).find((s) => s.startsWith(WS_TOKEN_PREFIX));
    if (p) return p.slice(WS_TOKEN_PREFIX.length);
  }
  return void 0;
}
function actorOf(req) {
  const raw = req.headers["x-bulwark-actor"];
  const actor = typeof raw === "string" ? raw.replace(/[^\x21-\x7e]/g, "").slice(0, 64) : "";
  return actor || "api";
}
function toBulwarkError(err) {
  if (err instanceof BulwarkError) return err;
  const code = err.code;
  if (code === "FST_ERR_CTP_BODY_TOO_LARGE") {
    return new BulwarkError("payload_too_large", `request body is larger than ${BODY_LIMIT_BYTES} bytes; send less data per call`);
  }
  if (code === "FST_ERR_CTP_INVALID_MEDIA_TYPE") {
    return new BulwarkError("invalid_input", "body must be JSON; send it with Content-Type: application/json");
  }
  if (err.statusCode === 400) {
    return new BulwarkError("invalid_input", `body is not valid JSON (${err.message}); send one JSON object`);
  }
  return new BulwarkError("internal", `the server failed: ${err.message}`, { cause: err });
}
async function startHttpServer(core, opts) {
  const app = Fastify({
    bodyLimit: BODY_LIMIT_BYTES,
    loggerInstance: opts.log.child({ component: "http" }),
    // Per-request lines would cost more than the requests; errors are logged by the handler.
    logController: new LogController({ disableRequestLogging: true }),
    ...opts.tls ? { https: { cert: opts.tls.cert, key: opts.tls.key } } : {}
  });
  app.removeContentTypeParser("application/json");
  app.addContentTypeParser("application/json", { parseAs: "string" }, (_req, body, done) => {
    const text = typeof body === "string" ? body : body.toString("utf8");
    if (text.trim() === "") return done(null, {});
    try {
      done(null, JSON.parse(text));
    } catch (err) {
      done(new BulwarkError("invalid_input", `body is not valid JSON (${err.message}); send one JSON object`), void 0);
    }
  });
  app.setErrorHandler((err, req, reply) => {
    const e = toBulwarkError(err);
    if (e.code === "internal") req.log.error({ err }, "request failed");
    const body = e.toBody();
    void reply.status(e.httpStatus).send({ error: body });
  });
  app.addHook("onSend", async (_req, reply, payload) => {
    reply.header("x-content-type-options", "nosniff");
    reply.header("referrer-policy", "no-referrer");
    reply.header("x-frame-options", "DENY");
    reply.header("content-security-policy", CSP);
    return payload;
  });
  app.addHook("onRequest", async (req, reply) => {
    if (!req.url.startsWith("/api/")) return;
    const given = tokenOf(req);
    if (given === void 0 || !sameSecret(given, opts.token)) {
      const e = new BulwarkError(
        "unauthorized",
        given === void 0 ? `no API token; send "Authorization: Bearer <token>" with the token from the data dir's token file` : "wrong API token; use the token from the data dir's token file"
      );
      return reply.status(401).header("www-authenticate", "Bearer").send({ error: e.toBody() });
    }
  });
  await app.register(fastifyWebsocket, {
    options: {
      maxPayload: 64 * 1024,
      handleProtocols: (protocols) => protocols.has(WS_PROTOCOL) ? WS_PROTOCOL : false
    }
  });
  app.get("/healthz", async () => ({ ok: true }));
  app.get("/api/v1/events", { websocket: true }, (socket, req) => {
    const after = Number(req.query.after ?? NaN);
    const send = (m) => {
      if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(m));
    };
    let lastSent = Number.isFinite(after) && after >= 0 ? after : core.lastEventId();
    const buffered = [];
    let replaying = true;
    const unsubscribe = core.onDidEvent((event) => {
      const m = { type: "event", event };
      if (replaying) buffered.push(m);
      else if (event.id > lastSent) {
        lastSent = event.id;
        send(m);
      }
    });
    socket.on("close", unsubscribe);
    socket.on("error", unsubscribe);
    void (async () => {
      for (; ; ) {
        const page = await core.call("events.list", { after: lastSent, limit: 1e3 }, { actor: "stream" });
        for (const event of page) send({ type: "event", event });
        if (page.length > 0) lastSent = page.at(-1).id;
        if (page.length < 1e3) break;
      }
      replaying = false;
      for (const m of buffered) if (m.type === "event" && m.event.id > lastSent) {
        lastSent = m.event.id;
        send(m);
      }
      send({ type: "ready", lastId: lastSent });
    })().catch((err) => {
      req.log.error({ err }, "event replay failed");
      socket.close(1011, "event replay failed");
    });
  });
  app.post("/api/v1/:procedure", async (req) => {
    const output = await core.call(req.params.procedure, req.body, { actor: actorOf(req) });
    return { data: output };
  });
  if (opts.uiDir && existsSync(join2(opts.uiDir, "index.html"))) {
    const indexHtml = readFileSync2(join2(opts.uiDir, "index.html"));
    await app.register(fastifyStatic, { root: opts.uiDir, prefix: "/", index: false, wildcard: false });
    const sendIndex = async (_req, reply) => reply.header("cache-control", "no-store").type("text/html; charset=utf-8").send(indexHtml);
    app.get("/", sendIndex);
    app.setNotFoundHandler((req, reply) => {
      if (req.method === "GET" && !req.url.startsWith("/api/") && !req.url.includes(".")) return sendIndex(req, reply);
      const e = new BulwarkError("not_found", `nothing at ${req.method} ${req.url.split("?")[0]}; the API lives under POST /api/v1/<procedure>`);
      return reply.status(404).send({ error: e.toBody() });
    });
  } else {
    app.setNotFoundHandler((req, reply) => {
      const e = new BulwarkError("not_found", `nothing at ${req.method} ${req.url.split("?")[0]}; the API lives under POST /api/v1/<procedure>`);
      return reply.status(404).send({ error: e.toBody() });
    });
  }
  const address = await app.listen({ host: opts.host, port: opts.port });
  const url = new URL(address);
  const host = opts.host.includes(":") ? `[${opts.host}]` : opts.host;
  return {
    url: `${url.protocol}//${host}:${url.port}`,
    app,
    close: async () => {
      for (const client of app.websocketServer?.clients ?? []) client.terminate();
      await app.close();
    }
  };
}

// src-main/serve.ts
function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err.code === "EPERM";
  }
}
function takeLock(paths) {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync2(paths.lock, "wx", 384);
      writeSync2(fd, String(process.pid));
      closeSync2(fd);
      return () => rmSync(paths.lock, { force: true });
    } catch (err) {
      if (err.code !== "EEXIST") throw err;
      const pid = Number(readFileSync3(paths.lock, "utf8"));
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && isAlive(pid)) {
        throw new BulwarkError("in_use", `another "bulwark serve" (pid ${pid}) is using ${paths.dir}; stop it first, or use another --data-dir`);
      }
      rmSync(paths.lock, { force: true });
    }
  }
  throw new BulwarkError("in_use", `cannot take the lock ${paths.lock}; remove it if no "bulwark serve" is running`);
}
async function serve(opts) {
  const listen = parseListen(opts.listen);
  const tls = opts.tlsCert !== void 0 || opts.tlsKey !== void 0;
  if (tls && (opts.tlsCert === void 0 || opts.tlsKey === void 0)) {
    throw BulwarkError.field("--tls-cert", "TLS needs both --tls-cert FILE and --tls-key FILE; give both");
  }
  if (!isLoopback(listen.host) && !tls) {
    throw BulwarkError.field(
      "--listen",
      `${listen.host} is not a loopback address, and serving the API beyond this machine needs TLS; add --tls-cert FILE --tls-key FILE, or listen on 127.0.0.1`
    );
  }
  const readPem = (flag, file) => {
    try {
      return readFileSync3(file);
    } catch (err) {
      throw BulwarkError.field(flag, `cannot read ${file} (${err.code}); give a PEM file readable by this user`);
    }
  };
  const tlsFiles = tls ? { cert: readPem("--tls-cert", opts.tlsCert), key: readPem("--tls-key", opts.tlsKey) } : void 0;
  const paths = ensureDataDir(opts.dataDir);
  const unlock = takeLock(paths);
  let core;
  try {
    const token = loadToken(paths);
    core = createCore({
      dbFile: paths.db,
      masterKey: loadMasterKey(paths),
      onInternalError: (name, err) => opts.log.error({ err, procedure: name }, "procedure failed")
    });
    const http = await startHttpServer(core, { host: listen.host, port: listen.port, token, tls: tlsFiles, uiDir: opts.uiDir, log: opts.log });
    writeServerInfo(paths, { url: http.url, pid: process.pid });
    opts.log.info({ url: http.url, dataDir: paths.dir }, "bulwark serve is listening");
    const c = core;
    let stopped = false;
    return {
      url: http.url,
      paths,
      core: c,
      http,
      stop: async () => {
        if (stopped) return;
        stopped = true;
        await http.close();
        c.close();
        rmSync(paths.server, { force: true });
        unlock();
      }
    };
  } catch (err) {
    core?.close();
    unlock();
    if (err.code === "EADDRINUSE") {
      throw BulwarkError.field("--listen", `${opts.listen} is already in use by another program; choose another port, such as 127.0.0.1:0 for any free one`);
    }
    throw err;
  }
}

// src-main/transport/http/client.ts
import WebSocket from "ws";
var HttpClient = class {
  constructor(opts) {
    this.opts = opts;
  }
  opts;
  get url() {
    return this.opts.url;
  }
  async call(name, input) {
    let res;
    try {
      res = await fetch(`${this.opts.url}/api/v1/${name}`, {
        method: "POST",
        headers: {
          authorization: `Bearer ${this.opts.token}`,
          "content-type": "application/json",
          "x-bulwark-actor": this.opts.actor ?? "api"
        },
        body: JSON.stringify(input ?? {})
      });
    } catch (err) {
      const cause = err.cause?.code ?? err.message;
      throw new BulwarkError("unavailable", `cannot reach Bulwark at ${this.opts.url} (${cause}); is "bulwark serve" running?`, { cause: err });
    }
    const text = await res.text();
    let body;
    try {
      body = JSON.parse(text);
    } catch {
      throw new BulwarkError("internal", `${this.opts.url} answered ${res.status} with a body that is not JSON; is it a Bulwark server?`);
    }
    if (!res.ok) {
      const err = ErrorBody.safeParse(body.error);
      if (err.success) throw BulwarkError.fromBody(err.data);
      throw new BulwarkError("internal", `${this.opts.url} answered ${res.status} without a Bulwark error body`);
    }
    return body.data;
  }
  /** Opens the event stream; resolves once the server has replayed everything after `after`. */
  subscribe(onMessage, after) {
    const wsUrl = `${this.opts.url.replace(/^http/, "ws")}/api/v1/events${after === void 0 ? "" : `?after=${after}`}`;
    const ws2 = new WebSocket(wsUrl, [WS_PROTOCOL], { headers: { authorization: `Bearer ${this.opts.token}` } });
    const closed = new Promise((resolve2) => ws2.on("close", () => resolve2()));
    return new Promise((resolve2, reject) => {
      ws2.on("unexpected-response", (_req, res) => {
        reject(new BulwarkError(res.statusCode === 401 ? "unauthorized" : "unavailable", `event stream refused with HTTP ${res.statusCode}`));
      });
      ws2.on("error", (err) => reject(new BulwarkError("unavailable", `event stream at ${wsUrl} failed: ${err.message}`)));
      ws2.on("message", (data) => {
        const m = StreamMessage.parse(JSON.parse(String(data)));
        onMessage(m);
        if (m.type === "ready") resolve2({ close: () => ws2.close(), closed });
      });
    });
  }
};

// test/helpers/server.ts
var ROOT = fileURLToPath(new URL("../..", import.meta.url));
var CLI = join3(ROOT, "dist", "bulwark.mjs");
var UI_DIR = join3(ROOT, "dist", "renderer");
async function startInProcess(opts = {}) {
  const base = mkdtempSync(join3(tmpdir(), "bulwark-srv-"));
  const dataDir = join3(base, "data");
  const running = await serve({ dataDir, listen: "127.0.0.1:0", uiDir: opts.uiDir, log: pino({ level: "silent" }) });
  const token = readFileSync4(running.paths.token, "utf8").trim();
  return {
    running,
    url: running.url,
    token,
    dataDir,
    client: new HttpClient({ url: running.url, token, actor: "test" }),
    [Symbol.asyncDispose]: async () => {
      await running.stop();
      rmSync2(base, { recursive: true, force: true });
    }
  };
}

// ../../tmp/ws.mts
import WebSocket2 from "ws";
var srv = await startInProcess();
var ws = new WebSocket2(`${srv.url.replace("http", "ws")}/api/v1/events`, ["bulwark.v1"]);
ws.on("unexpected-response", (_q, res) => {
  console.log("status", res.statusCode);
});
ws.on("open", () => console.log("open"));
ws.on("error", (e) => console.log("err", e.message));
setTimeout(async () => {
  console.log("timeout");
  await srv[Symbol.asyncDispose]();
  process.exit(0);
}, 2e3);
