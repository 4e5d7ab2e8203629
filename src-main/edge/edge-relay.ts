// edge/: the public service on Core's side. Edges relay each public call as a `request` on
// their control link (Core dialled it; nothing on an edge opens a connection to Core); this
// parses it again, runs it as the edge's caller, de-duplicates calls that change something by
// idempotency key, and answers `response` before the call's deadline. It also gives every edge
// what they share (the CSRF key and the public name) when its link comes up and when it changes.
// Imports core (the public services), link, store and contract; system/ builds it.
import { BulwarkError, EDGE_CALLS, EDGE_ERRORS, type AgentRequest, type EdgeCallName, type EdgeError, type KnownEvent } from '../contract/index.js';
import { callContext } from '../core/context.js';
import type { EdgePublicService } from '../core/edges/edge-public.js';
import type { EnrollmentService } from '../core/public/enrollment-service.js';
import type { ConnectService } from '../core/public/connect-service.js';
import { PublicError } from '../core/public/public-error.js';
import type { LinkHub } from '../link/link-hub.js';
import type { Link } from '../link/link.js';
import type { GatewayConfirmations } from './confirm.js';
import type { Reply, ReplyCache } from './reply-cache.js';

/** How long a connect waits for the gateways at most, within the call's own deadline. */
export const CONFIRM_MAX_MS = 10_000;

const errorReply = (e: PublicError): Reply => ({
  status: EDGE_ERRORS[e.code],
  body: { error: { code: e.code, message: e.message, field: e.field, retryAfterSeconds: e.retryAfterSeconds } } satisfies EdgeError,
});

export interface EdgeRelayDeps {
  hub: LinkHub;
  settings: EdgePublicService;
  enrollment: EnrollmentService;
  connect: ConnectService;
  confirmations: GatewayConfirmations;
  replies: ReplyCache;
  /** A bug, not a refusal: logged by Core, answered as a plain 500. */
  onInternalError: (call: string, err: unknown) => void;
}

export class EdgeRelay {
  constructor(private readonly d: EdgeRelayDeps) {
    d.hub.onMessage('hello', (link) => {
      if (link.target.role === 'edge') this.sendSettings(link);
    });
    d.hub.onMessage('request', (link, msg) => {
      // Whatever fails here (the reply cache's write on a full disk), the edge gets an answer.
      this.answer(link, msg).catch((err: unknown) => {
        d.onInternalError(`edge.${msg.call}`, err);
        link.send({ type: 'response', id: msg.id, ...errorReply(new PublicError('internal', 'Something went wrong on the control server. Try again; if it keeps failing, tell your administrator the time it happened.')) });
      });
    });
  }

  /** After a commit: a changed public name reaches every edge. */
  committed(events: KnownEvent[]): void {
    if (!events.some((e) => e.kind === 'edge.public_set')) return;
    for (const link of this.d.hub.all()) if (link.target.role === 'edge' && link.state === 'up') this.sendSettings(link);
  }

  private sendSettings(link: Link): void {
    const key = this.d.settings.csrfKey();
    link.send({ type: 'edgeSettings', csrfKeys: [key.toString('base64')], publicName: this.d.settings.get()?.publicName ?? null });
  }

  private async answer(link: Link, msg: AgentRequest): Promise<void> {
    if (link.target.role !== 'edge') {
      this.d.hub.problem(link, `a ${link.target.role} sent a public request (${msg.call}); only edges may`, 'core');
      return;
    }
    const received = Date.now();
    const deadline = received + msg.timeoutMs;
    const call = msg.call as EdgeCallName;
    const def = EDGE_CALLS[call];
    const context = { actor: `edge:${link.target.host}`, origin: `client ${msg.client} via edge ${link.target.host}` };
    const run = () => callContext.run(context, () => this.run(call, msg.input, msg.client, deadline));
    let reply: Reply;
    if (def.mutates) {
      if (msg.idempotencyKey === null) reply = errorReply(new PublicError('invalid_input', 'This request lacks its Idempotency-Key header; reload the page and try again.'));
      else reply = await this.d.replies.once(msg.idempotencyKey, call, msg.input, run);
    } else reply = await run();
    // Past the deadline the edge has answered 504 already; a mutating call's answer is kept for its retry.
    if (Date.now() <= deadline) link.send({ type: 'response', id: msg.id, status: reply.status, body: reply.body });
  }

  private async run(call: EdgeCallName, raw: unknown, client: string, deadline: number): Promise<Reply> {
    const def = EDGE_CALLS[call];
    const parsed = def.input.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const field = issue?.path.join('.') || null;
      return errorReply(new PublicError('invalid_input', `${field ?? 'the request'}: ${issue?.message ?? 'does not match what this call takes'}`, field));
    }
    try {
      const output = await this.dispatch(call, parsed.data as never, client, deadline);
      return { status: 200, body: def.output.parse(output) };
    } catch (err) {
      if (err instanceof PublicError) return errorReply(err);
      if (err instanceof BulwarkError && err.code !== 'internal') return errorReply(new PublicError('conflict', err.message.replace(/^[a-zA-Z.]+: /, ''), err.field ?? null));
      this.d.onInternalError(`edge.${call}`, err);
      return errorReply(new PublicError('internal', 'Something went wrong on the control server. Try again; if it keeps failing, tell your administrator the time it happened.'));
    }
  }

  // The input was parsed with the call's own schema just above; TypeScript cannot follow the call name to it.
  private async dispatch(call: EdgeCallName, input: never, client: string, deadline: number): Promise<unknown> {
    switch (call) {
      case 'invite.lookup':
        return this.d.enrollment.lookup(input, client);
      case 'enroll.totp':
        return this.d.enrollment.totp(input, client);
      case 'enroll.complete':
        return this.d.enrollment.complete(input, client);
      case 'connect.lookup':
        return this.d.connect.lookup(input, client);
      case 'connect': {
        const { session, disconnectThreshold } = this.d.connect.start(input, client);
        const until = Math.min(deadline - 250, Date.now() + CONFIRM_MAX_MS);
        const { gateways, tookMs } = await this.d.confirmations.wait(session.location, until);
        const connected = gateways.some((g) => g.confirmed) && gateways.every((g) => g.confirmed || g.reason?.startsWith('not linked'));
        this.d.connect.confirmed(session, gateways, tookMs, client);
        return { connected, location: session.location, device: session.device, session: session.id, gateways, tookMs, disconnectThreshold };
      }
    }
  }
}
