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
