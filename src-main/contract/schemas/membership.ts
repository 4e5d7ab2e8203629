// Gateways (location × host) and edges (host).
import { z } from 'zod';
import { ResourceName, Timestamp } from './common.js';

export const Gateway = z.object({
  location: z.string(),
  host: z.string(),
  /** SSH address of the host, for display. */
  address: z.string(),
  createdAt: Timestamp,
});
export type Gateway = z.infer<typeof Gateway>;

export const GatewayRef = z.strictObject({ location: ResourceName, host: ResourceName });
/** Empty location lists the gateways of every location. */
export const GatewayListInput = z.strictObject({ location: ResourceName.optional() });

export const Edge = z.object({ host: z.string(), address: z.string(), createdAt: Timestamp });
export type Edge = z.infer<typeof Edge>;
export const EdgeRef = z.strictObject({ host: ResourceName });
