// MFA sessions: in a location with MFA, a device's peer is on the gateways only while the
// device has an active session. The edge starts one after the user passes MFA; an admin can
// start or end one by hand. A gateway ends a session whose peer stays idle for longer than the
// location's disconnect threshold, even while Core is away.
import { z } from 'zod';
import { DeviceName, ResourceName, Timestamp } from './common.js';

export const SESSION_END_REASONS = ['idle', 'ended', 'replaced', 'device_removed', 'mfa_disabled', 'device_disabled'] as const;
export const SessionEndReason = z.enum(SESSION_END_REASONS);

export const Session = z.object({
  /** Increasing number; a gateway never brings back a peer whose session it ended. */
  id: z.number().int(),
  location: z.string(),
  device: z.string(),
  startedAt: Timestamp,
  /** Who authorised it: "edge:<host>" after MFA, or the admin's actor ("cli:root@ws-1"). */
  startedBy: z.string(),
  /** Null while the session is active. */
  endedAt: Timestamp.nullable(),
  /** idle: no handshake or traffic for the threshold; ended: by hand; replaced: a newer session
   * of the same device; device_removed; mfa_disabled: the location no longer uses MFA;
   * device_disabled: an admin disabled the device. */
  endReason: SessionEndReason.nullable(),
  /** Who ended it: "gateway:<host>" for idle, else the actor; null while active. */
  endedBy: z.string().nullable(),
});
export type Session = z.infer<typeof Session>;

export const SessionRef = z.strictObject({ location: ResourceName, device: DeviceName });

export const SessionListInput = z.strictObject({
  location: ResourceName,
  /** Also list ended sessions (the newest 200); by default only active ones. */
  all: z.boolean().default(false),
});
