import { z } from 'zod';
import { DeviceName, ResourceName, Timestamp, WireGuardKey } from './common.js';

export const Device = z.object({
  location: z.string(),
  name: z.string(),
  publicKey: z.string(),
  /** Tunnel address with its host prefix (/32 or /128). */
  address: z.string(),
  createdAt: Timestamp,
  /** False when an admin disabled it: it keeps its key and address but is no peer on any gateway (and starts no MFA session) until enabled. */
  enabled: z.boolean(),
});
export type Device = z.infer<typeof Device>;

export const DeviceAddInput = z.strictObject({
  location: ResourceName,
  name: DeviceName,
  /** The device's own public key; absent means Core makes the key pair and returns the config once. */
  publicKey: WireGuardKey.optional(),
});
export type DeviceAddInput = z.input<typeof DeviceAddInput>;

export const DeviceAddOutput = z.object({
  device: Device,
  /** wg-quick client config. Holds the private key when Core made it (shown once, never stored);
   * otherwise a placeholder line for the device's own key. */
  clientConfig: z.string(),
  /** True when clientConfig holds a private key that Core made and did not keep. */
  containsPrivateKey: z.boolean(),
});
export type DeviceAddOutput = z.infer<typeof DeviceAddOutput>;

export const DeviceListInput = z.strictObject({ location: ResourceName });

/** A device's tunnel as the gateways last reported it (every 2 s) and its MFA session: locations.status and devices.search. */
export const DeviceTunnel = z.object({
  /** Where its packets came from (address:port); null when no gateway has seen it. */
  endpoint: z.string().nullable(),
  /** ISO time of the newest handshake; null for never (or no report yet). */
  latestHandshake: z.string().nullable(),
  /** Bytes received from it, as the reporting gateway counts them; null when not reported. */
  rxBytes: z.number().nullable(),
  /** Bytes sent to it; null when not reported. */
  txBytes: z.number().nullable(),
  /** The gateway that reported it last; null when none has. */
  gateway: z.string().nullable(),
  /** MFA locations: the active session (the peer is on the gateways only while there is one); null for none. */
  session: z.object({ id: z.number().int(), startedAt: z.string(), startedBy: z.string() }).nullable(),
});
export type DeviceTunnel = z.infer<typeof DeviceTunnel>;

/** Longest search text: longer than any name, address or key prefix needs. */
export const DEVICE_QUERY_MAX = 100;
/** Largest page of devices.search. */
export const DEVICE_PAGE_MAX = 500;

/** One page of a location's devices, by name, optionally narrowed by a search. */
export const DeviceSearchInput = z.strictObject({
  location: ResourceName,
  /**
   * What to look for: part of the name (ASCII letters match either case), the start of the
   * address ("10.0.1.") or the start of the public key (exact case). Empty lists every device.
   */
  query: z.string().max(DEVICE_QUERY_MAX).default(''),
  /** How many matches to skip (devices are in name order). */
  offset: z.number().int().min(0).default(0),
  /** Devices per page: 1 to DEVICE_PAGE_MAX, 50 by default. */
  limit: z.number().int().min(1).max(DEVICE_PAGE_MAX).default(50),
});
export type DeviceSearchInput = z.input<typeof DeviceSearchInput>;

export const DeviceSearchRow = Device.extend(DeviceTunnel.shape);
export type DeviceSearchRow = z.infer<typeof DeviceSearchRow>;

export const DeviceSearchOutput = z.object({
  /** Devices that match the query (every device of the location when the query is empty). */
  total: z.number().int(),
  /** Devices of the location, matching or not. */
  all: z.number().int(),
  /** Where this page starts among the matches: the offset asked for, or the last page's start when fewer match now. */
  offset: z.number().int(),
  /** At most `limit` matches from `offset` on, in name order. */
  devices: z.array(DeviceSearchRow),
});
export type DeviceSearchOutput = z.infer<typeof DeviceSearchOutput>;
export const DeviceRef = z.strictObject({ location: ResourceName, name: DeviceName });

/**
 * Disables or enables a device. Disabled, its peer leaves every gateway of the location at once
 * and its MFA sessions end; enabled, it is a peer again (in an MFA location once it starts a
 * session). Setting the state it already has changes nothing and records no event.
 */
export const DeviceSetEnabledInput = DeviceRef.extend({ enabled: z.boolean() });
export type DeviceSetEnabledInput = z.input<typeof DeviceSetEnabledInput>;

/**
 * A device's client config again. With newKey (the default), Core makes a new key pair: the
 * device's old config stops working at once, and the new one holds its private key (shown once).
 * Without, the config has a placeholder where the device's own private key goes, and nothing
 * changes: for devices that made their key themselves. A disabled device gets its config too
 * (device.enabled says it is disabled): its new key reaches the gateways only once it is enabled.
 */
export const DeviceConfigInput = DeviceRef.extend({ newKey: z.boolean().default(true) });
export type DeviceConfigInput = z.input<typeof DeviceConfigInput>;
