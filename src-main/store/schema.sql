-- The schema that the migrations must reach (checked by store/migrations.test.ts).
-- Names compare case-insensitively: "HQ" and "hq" are the same location.
-- locations.next_device_index only grows: a removed device's address is not handed out
-- again until the pool has wrapped.
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
  next_device_index INTEGER NOT NULL DEFAULT 0,
  created_at TEXT NOT NULL,
  -- Networks behind the gateways that devices reach through the location (JSON array of CIDRs).
  routes TEXT NOT NULL DEFAULT '[]',
  -- Failover (migration 6): vrrp (floating IP, advert in centiseconds), lb (a UDP load balancer host), or none.
  failover_mode TEXT NOT NULL DEFAULT 'none' CHECK (failover_mode IN ('none', 'vrrp', 'lb')),
  failover_vip TEXT,
  failover_interface TEXT,
  failover_advert_cs INTEGER CHECK (failover_advert_cs BETWEEN 1 AND 25500),
  failover_unicast INTEGER NOT NULL DEFAULT 0 CHECK (failover_unicast IN (0, 1)),
  failover_router_id INTEGER CHECK (failover_router_id BETWEEN 1 AND 255),
  failover_lb_host_id INTEGER REFERENCES hosts (id) ON DELETE RESTRICT,
  -- lb: 'auto' or 'manual' failback (migration 8); NULL otherwise.
  failover_lb_failback TEXT CHECK (failover_lb_failback IN ('auto', 'manual'))
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
  -- When Bulwark last installed its agents here; null when never, or after host uninstall.
  provisioned_at TEXT,
  -- The LAN as the last host check saw it (migration 6): the interface and address/prefix that carry ssh_address.
  lan_interface TEXT,
  lan_address TEXT,
  -- What the host is (migration 15): ID and VERSION_ID of its /etc/os-release and uname -m, from host check or the admin; a bundle must match.
  os_id TEXT,
  os_version TEXT,
  arch TEXT,
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
  -- Enrolled through an edge (migration 11): the connect link's id, the sealed TOTP secret, the last TOTP step used.
  connect_id TEXT,
  totp_secret_enc BLOB,
  totp_last_step INTEGER,
  -- 0: disabled by an admin (migration 13): kept with its key and address, but no peer on any gateway.
  enabled INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
  UNIQUE (location_id, name),
  UNIQUE (location_id, public_key),
  UNIQUE (location_id, host_index)
) STRICT;
CREATE UNIQUE INDEX devices_connect_id ON devices (connect_id) WHERE connect_id IS NOT NULL;
CREATE TABLE events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  time TEXT NOT NULL,
  actor TEXT NOT NULL,
  kind TEXT NOT NULL,
  subject TEXT NOT NULL,
  details TEXT NOT NULL DEFAULT '{}',
  -- The caller's transport and peer as the server saw them (migration 9); '' when not known.
  origin TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX events_kind ON events (kind, id);
CREATE INDEX events_run ON events (json_extract(details, '$.run'), id) WHERE kind GLOB 'provision.*';
CREATE TRIGGER events_append_only_update BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
CREATE TRIGGER events_append_only_delete BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;

-- Core's CA and the certificates it issued; keys sealed by Core (migration 3).
CREATE TABLE ca (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  cert_pem TEXT NOT NULL,
  key_enc BLOB NOT NULL,
  created_at TEXT NOT NULL
) STRICT;
CREATE TABLE certificates (
  id INTEGER PRIMARY KEY,
  serial TEXT NOT NULL UNIQUE,
  -- "core", or the agent: "gateway:<host>" / "edge:<host>" / "balancer:<host>"
  subject TEXT NOT NULL,
  host_id INTEGER REFERENCES hosts (id) ON DELETE SET NULL,
  -- 'balancer' since migration 7 (a rebuild of the table)
  role TEXT CHECK (role IN ('gateway', 'edge', 'balancer')),
  cert_pem TEXT NOT NULL,
  key_enc BLOB NOT NULL,
  not_before TEXT NOT NULL,
  not_after TEXT NOT NULL,
  revoked_at TEXT,
  revoke_reason TEXT,
  created_at TEXT NOT NULL
) STRICT;
CREATE INDEX certificates_subject ON certificates (subject);

-- MFA sessions (migration 5): a device of an MFA location is a peer only while one is active.
-- AUTOINCREMENT: a session id is never reused, so a gateway can refuse an id it ended.
-- 'device_disabled' since migration 13 (a rebuild of the table that keeps its counter).
CREATE TABLE sessions (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  device_id INTEGER NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
  started_at TEXT NOT NULL,
  started_by TEXT NOT NULL,
  ended_at TEXT,
  end_reason TEXT CHECK (end_reason IN ('idle', 'ended', 'replaced', 'device_removed', 'mfa_disabled', 'device_disabled')),
  ended_by TEXT,
  CHECK ((ended_at IS NULL) = (end_reason IS NULL))
) STRICT;
CREATE UNIQUE INDEX sessions_active ON sessions (device_id) WHERE ended_at IS NULL;

-- The public service (migration 11): its settings, Core's own secrets, invites (a token's hash only),
-- lockouts after wrong codes, and public calls' answers by idempotency key.
CREATE TABLE edge_settings (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  public_name TEXT NOT NULL,
  balancer_host_id INTEGER REFERENCES hosts (id) ON DELETE RESTRICT,
  tls_source TEXT NOT NULL CHECK (tls_source IN ('admin', 'ca')),
  tls_cert_pem TEXT NOT NULL,
  tls_key_enc BLOB NOT NULL,
  -- Addresses of the admin's own proxies whose X-Forwarded-For the edges believe (JSON array).
  trusted_proxies TEXT NOT NULL DEFAULT '[]',
  updated_at TEXT NOT NULL
) STRICT;
CREATE TABLE core_secrets (
  name TEXT PRIMARY KEY,
  value_enc BLOB NOT NULL,
  created_at TEXT NOT NULL
) STRICT;
CREATE TABLE invites (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  location_id INTEGER NOT NULL REFERENCES locations (id) ON DELETE CASCADE,
  device_name TEXT NOT NULL COLLATE NOCASE,
  token_sha256 TEXT NOT NULL UNIQUE,
  created_at TEXT NOT NULL,
  created_by TEXT NOT NULL,
  expires_at TEXT NOT NULL,
  used_at TEXT,
  device_id INTEGER REFERENCES devices (id) ON DELETE SET NULL,
  revoked_at TEXT,
  revoked_by TEXT,
  totp_secret_enc BLOB
) STRICT;
CREATE INDEX invites_location ON invites (location_id);
CREATE TABLE lockouts (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  kind TEXT NOT NULL CHECK (kind IN ('device', 'address')),
  subject TEXT NOT NULL,
  failures INTEGER NOT NULL,
  locked_at TEXT NOT NULL,
  until TEXT NOT NULL,
  cleared_at TEXT,
  cleared_by TEXT
) STRICT;
CREATE INDEX lockouts_subject ON lockouts (kind, subject);
CREATE TABLE edge_replies (
  idempotency_key TEXT PRIMARY KEY,
  call TEXT NOT NULL,
  input_sha256 TEXT NOT NULL,
  status INTEGER NOT NULL,
  body TEXT NOT NULL,
  created_at TEXT NOT NULL
) STRICT;

-- The failover history (migration 12): each takeover as the new master measured it.
CREATE TABLE failovers (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  location_id INTEGER NOT NULL REFERENCES locations (id) ON DELETE CASCADE,
  gateway TEXT NOT NULL,
  report_id TEXT NOT NULL,
  -- The gateway Core last saw holding the floating IP before this one; NULL when unknown.
  previous TEXT,
  took_at TEXT NOT NULL,
  address_after_ms REAL NOT NULL,
  clients INTEGER NOT NULL,
  -- JSON: each returned client's milliseconds to its handshake, ascending.
  back_ms TEXT NOT NULL,
  -- JSON: [{publicKey, device}] of the clients that did not come back (device NULL when unknown).
  missing TEXT NOT NULL,
  unreachable INTEGER NOT NULL,
  -- 1 when an admin's drill caused it.
  drill INTEGER NOT NULL CHECK (drill IN (0, 1)),
  received_at TEXT NOT NULL,
  UNIQUE (gateway, report_id)
) STRICT;
CREATE INDEX failovers_location ON failovers (location_id, took_at);
CREATE TABLE bundle_exports (
  id TEXT PRIMARY KEY,
  host_id INTEGER NOT NULL REFERENCES hosts (id) ON DELETE CASCADE,
  created_at TEXT NOT NULL,
  not_after TEXT NOT NULL,
  -- JSON: [{path, sha256, mode}] of every file the bundle installs.
  files TEXT NOT NULL,
  upgrade_of TEXT
) STRICT;
CREATE INDEX bundle_exports_host ON bundle_exports (host_id, created_at);

-- Rotations of Core's bundle signing key (migration 16): the old key's signature over the new
-- one. Every bundle carries them all, so a host that pinned an older key follows.
CREATE TABLE bundle_key_rotations (
  id INTEGER PRIMARY KEY,
  -- Raw 32-byte Ed25519 public keys, base64, and the old key's signature (rotationStatement).
  from_key TEXT NOT NULL,
  to_key TEXT NOT NULL UNIQUE,
  signature TEXT NOT NULL,
  rotated_at TEXT NOT NULL
) STRICT;
