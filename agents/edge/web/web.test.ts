// The edge's public pages: built with the real esbuild, and checked for what their CSP refuses
// (inline scripts, handlers and styles; eval). The pages carry copies of the contract's patterns
// and answer shapes instead of zod, so this file also holds those copies equal to the contract.
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { describe, expect, test } from 'vitest';
import type { z } from 'zod';
import {
  BrowserPublicKey,
  ConnectId,
  CSRF_HEADER,
  EDGE_CALLS,
  EDGE_CALL_NAMES,
  IDEMPOTENCY_HEADER,
  IdempotencyKey,
  InviteToken,
  TotpCode,
} from '../../../src-main/contract/schemas/edge.js';
import * as api from './api.js';
import { readConnectId } from './connect.js';
import { configFileName, makeKeyPair } from './enroll.js';

type Assets = Record<string, { contentType: string; body: string }>;
type BuildEdgeWeb = (esbuild: unknown, root: string) => Promise<Assets>;

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
// A plain .mjs without type declarations: imported by URL so that tsc does not look for them.
const { buildEdgeWeb } = (await import(new URL('../../../resources/edge-web.mjs', import.meta.url).href)) as { buildEdgeWeb: BuildEdgeWeb };

describe('buildEdgeWeb', async () => {
  const assets = await buildEdgeWeb(esbuild, ROOT);
  const pages = Object.entries(assets).filter(([, a]) => a.contentType.startsWith('text/html'));

  test('has every page and asset with its content type', () => {
    expect(Object.fromEntries(Object.entries(assets).map(([path, a]) => [path, a.contentType]))).toEqual({
      '/': 'text/html; charset=utf-8',
      '/enroll': 'text/html; charset=utf-8',
      '/connect': 'text/html; charset=utf-8',
      '/assets/enroll.js': 'text/javascript; charset=utf-8',
      '/assets/connect.js': 'text/javascript; charset=utf-8',
      '/assets/style.css': 'text/css; charset=utf-8',
    });
    for (const [path, a] of Object.entries(assets)) expect(a.body.length, path).toBeGreaterThan(100);
  });

  test.each(pages)('%s has no inline script, handler or style', (_path, page) => {
    const html = page.body;
    expect(html.match(/<script\b[^>]*>\s*[^<\s][\s\S]*?<\/script>/gi) ?? []).toEqual([]);
    expect(html.match(/<script\b(?![^>]*\bsrc=)[^>]*>/gi) ?? []).toEqual([]);
    expect(html.match(/<[^>]*\son[a-z]+\s*=/gi) ?? []).toEqual([]);
    expect(html.match(/<[^>]*\sstyle\s*=/gi) ?? []).toEqual([]);
    expect(html.match(/<style\b/gi) ?? []).toEqual([]);
    expect(html.match(/\s(?:href|src|action)\s*=\s*["']?\s*javascript:/gi) ?? []).toEqual([]);
  });

  test.each(pages)('%s loads only assets this build serves, by absolute path', (_path, page) => {
    const refs = [...page.body.matchAll(/<(?:script|link)\b[^>]*\b(?:src|href)="([^"]+)"/gi)].map((m) => m[1]!);
    expect(refs.length).toBeGreaterThan(0);
    for (const ref of refs) {
      if (ref === 'data:,') continue; // the empty favicon, so that browsers do not ask for /favicon.ico
      expect(Object.keys(assets), `${ref} is not built`).toContain(ref);
    }
  });

  test.each(['/assets/enroll.js', '/assets/connect.js'])('%s has no eval and no Function constructor', (path) => {
    const js = assets[path]!.body;
    expect(js).not.toMatch(/\beval\s*\(/);
    expect(js).not.toMatch(/new\s+Function\b/);
    expect(js).not.toMatch(/\bFunction\s*\(\s*["'`]/);
    // zod would bring its JIT (which probes `new Function`) and ~450 kB.
    expect(js.length, `${path} grew: did zod get in?`).toBeLessThan(120_000);
  });
});

/** A zod schema as the pages' light Shape (api.ts OUTPUT_SHAPES). */
function shapeOf(schema: z.ZodType): api.Shape {
  const def = schema.def as { type: string; innerType?: z.ZodType; element?: z.ZodType; shape?: Record<string, z.ZodType> };
  switch (def.type) {
    case 'string':
    case 'number':
    case 'boolean':
      return def.type;
    case 'nullable': {
      const inner = shapeOf(def.innerType!);
      if (inner !== 'string') throw new Error(`no Shape for nullable ${JSON.stringify(inner)}; add one to api.ts`);
      return 'string|null';
    }
    case 'array':
      return [shapeOf(def.element!)];
    case 'object':
      return Object.fromEntries(Object.entries(def.shape!).map(([k, v]) => [k, shapeOf(v)]));
    default:
      throw new Error(`no Shape for zod type ${def.type}; add one to api.ts`);
  }
}

/** The pattern and message a string schema refuses `bad` with. */
function refusal(schema: z.ZodType, bad: string): { pattern: string; message: string } {
  const issue = schema.safeParse(bad).error?.issues[0] as { pattern?: string; message: string } | undefined;
  return { pattern: issue?.pattern ?? '', message: issue?.message ?? '' };
}

describe('the pages’ copies of the contract', () => {
  test('headers', () => {
    expect(api.CSRF_HEADER).toBe(CSRF_HEADER);
    expect(api.IDEMPOTENCY_HEADER).toBe(IDEMPOTENCY_HEADER);
  });

  test('which calls mutate', () => {
    expect(api.MUTATES).toEqual(Object.fromEntries(EDGE_CALL_NAMES.map((n) => [n, EDGE_CALLS[n].mutates])));
  });

  test.each([
    ['inviteToken', InviteToken],
    ['connectId', ConnectId],
    ['totpCode', TotpCode],
  ] as const)('pattern %s', (name, schema) => {
    const copy = api.PATTERNS[name];
    expect({ pattern: String(copy.pattern), message: copy.message }).toEqual(refusal(schema, '!'));
  });

  test.each(EDGE_CALL_NAMES)('answer shape of %s', (name) => {
    expect(api.OUTPUT_SHAPES[name]).toEqual(shapeOf(EDGE_CALLS[name].output));
  });

  test('idempotency keys fit the contract', () => {
    expect(IdempotencyKey.safeParse(api.newIdempotencyKey()).success).toBe(true);
  });
});

describe('conforms', () => {
  const shape = api.OUTPUT_SHAPES.connect;
  const good = { connected: true, location: 'x', device: 'y', session: 1, gateways: [{ host: 'gw', confirmed: true, reason: null }], tookMs: 3, disconnectThreshold: 300 };

  test.each([
    ['the contract’s example', good, true],
    ['an extra field (a newer edge)', { ...good, extra: 1 }, true],
    ['a missing field', { ...good, tookMs: undefined }, false],
    ['a wrong type deep inside', { ...good, gateways: [{ host: 'gw', confirmed: 'yes', reason: null }] }, false],
    ['null for a string', { ...good, location: null }, false],
    ['NaN is not a number here', { ...good, session: Number.NaN }, false],
    ['not an object', [good], false],
  ])('%s', (_name, value, ok) => {
    expect(api.conforms(value, shape)).toBe(ok);
  });
});

describe('makeKeyPair', () => {
  test('the public key sent is the one of the private key in the config', async () => {
    const keys = await makeKeyPair();
    expect(BrowserPublicKey.safeParse(keys.publicKey).success).toBe(true);
    const raw = Buffer.from(keys.privateKey, 'base64');
    expect(raw.length).toBe(32);
    expect(keys.privateKey).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    const pkcs8 = Buffer.concat([Buffer.from('302e020100300506032b656e04220420', 'hex'), raw]);
    const pub = createPublicKey(createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' }));
    expect(pub.export({ format: 'der', type: 'spki' }).subarray(-32).toString('base64')).toBe(keys.publicKey);
  });
});

describe('configFileName', () => {
  test.each([
    ['office', 'office.conf'],
    ['Berlin Office', 'Berlin-Office.conf'],
    ['Zürich', 'Zurich.conf'],
    ['a-very-long-location-name', 'a-very-long-loc.conf'],
    ['warehouse 12 (north)', 'warehouse-12-no.conf'],
    ['../../etc/passwd', 'etc-passwd.conf'],
    ['.hidden', 'hidden.conf'],
    ['東京', 'wg0.conf'],
    ['', 'wg0.conf'],
  ])('%j → %s', (location, name) => {
    const got = configFileName(location);
    expect(got).toBe(name);
    expect(got).toMatch(/^[A-Za-z0-9_.-]{1,15}\.conf$/);
  });
});

describe('readConnectId', () => {
  const id = 'AbCdEfGhIjKlMnOpQrSt_-';
  test.each([
    [`/connect/${id}`, id],
    [`/connect/${id}/`, id],
  ])('%s → the id', (path, want) => {
    expect(readConnectId(path)).toBe(want);
  });

  test.each(['/connect', '/connect/', `/connect/${id}x`, `/connect/${id}/more`, '/connect/short'])('%s → a problem', (path) => {
    expect(readConnectId(path)).toEqual({ problem: expect.any(String) });
  });
});

describe('explain', () => {
  test('core_unreachable never blames the invite or the link', () => {
    const text = api.explain(new api.CallError('core_unreachable', 'x', 503));
    expect(text).toMatch(/cannot reach its control server/);
    expect(text).not.toMatch(/invalid|not known/i);
  });

  test('locked names the wait', () => {
    expect(api.explain(new api.CallError('locked', 'x', 429, null, 300))).toBe('Too many wrong codes. Try again in 5 minutes.');
  });

  test("a code the page does not know shows the server's message", () => {
    expect(api.explain(new api.CallError('something_new', 'The edge says what happened.', 400))).toBe('The edge says what happened.');
  });

  test.each([
    [45, '45 seconds'],
    [60, '1 minute'],
    [300, '5 minutes'],
    [3599, '1 hour'],
    [3600, '1 hour'],
    [5400, '1 hour 30 minutes'],
    [7200, '2 hours'],
  ])('formatDuration(%i) = %s', (s, text) => {
    expect(api.formatDuration(s)).toBe(text);
  });
});
