// Error answers over HTTP: the contract's error body, with any text that quotes the input cut
// short. A 1 MB field quoted in a message (and again in its issue) came back at twice the size.
import type { FastifyReply } from 'fastify';
import type { BulwarkError, ErrorBody } from '../../contract/index.js';

/** Longest text an error body carries in one field, in characters; a stderr tail fits. */
export const MAX_ERROR_TEXT = 4096;
/** Most field issues an error body lists, first ones first. */
const MAX_ISSUES = 50;

function clip(text: string): string {
  if (text.length <= MAX_ERROR_TEXT) return text;
  return `${text.slice(0, MAX_ERROR_TEXT)}… (${text.length - MAX_ERROR_TEXT} more characters cut)`;
}

export function clipErrorBody(body: ErrorBody): ErrorBody {
  return {
    ...body,
    message: clip(body.message),
    ...(body.field === undefined ? {} : { field: clip(body.field) }),
    issues: body.issues.slice(0, MAX_ISSUES).map((i) => ({ field: clip(i.field), message: clip(i.message) })),
    ...(body.details ? { details: Object.fromEntries(Object.entries(body.details).map(([k, v]) => [clip(k), clip(v)])) } : {}),
  };
}

/** Sends `e` as the contract's error body, with its own status unless `status` overrides it (421). */
export function sendError(reply: FastifyReply, e: BulwarkError, status = e.httpStatus): FastifyReply {
  return reply.status(status).send({ error: clipErrorBody(e.toBody()) });
}
