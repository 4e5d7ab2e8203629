// Test data source: testdata/unavailable/unavailable.http is the generator's reviewed output
// (regenerate with `npx vitest run --config test/vitest.config.ts -u`); HAProxy loads it as an
// errorfile in test/lab/edge-config.test.ts.
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { renderUnavailableHttp, renderUnavailablePage, unavailablePageCsp, unavailablePageStyle } from './unavailable-page.js';

describe('the unavailable page', () => {
  test('matches its golden file', async () => {
    await expect(renderUnavailableHttp()).toMatchFileSnapshot(join(import.meta.dirname, 'testdata/unavailable/unavailable.http'));
  });

  test('is a whole HTTP/1.0 503 response with CRLF line ends and the body\'s length in bytes', () => {
    const http = renderUnavailableHttp();
    const split = http.indexOf('\r\n\r\n');
    const head = http.slice(0, split).split('\r\n');
    const body = http.slice(split + 4);
    expect(head[0]).toBe('HTTP/1.0 503 Service Unavailable');
    expect(head.every((l) => !l.includes('\n'))).toBe(true);
    expect(body).toBe(renderUnavailablePage());
    const headers = new Map(head.slice(1).map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 2)]));
    expect(Number(headers.get('content-length'))).toBe(Buffer.byteLength(body, 'utf8'));
    expect(headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(headers.get('cache-control')).toBe('no-store');
    expect(headers.get('retry-after')).toBe('30');
    expect(headers.get('x-content-type-options')).toBe('nosniff');
    expect(headers.get('referrer-policy')).toBe('no-referrer');
    expect(headers.get('content-security-policy')).toBe(unavailablePageCsp());
    // HAProxy refuses an errorfile larger than a buffer less its rewrite reserve (16384 - 1024).
    expect(Buffer.byteLength(http, 'utf8')).toBeLessThan(15_360);
  });

  test('the CSP allows the page\'s one inline style by its hash, and nothing else', () => {
    const html = renderUnavailablePage();
    const styles = [...html.matchAll(/<style>([^<]*)<\/style>/g)].map((m) => m[1]);
    expect(styles).toEqual([unavailablePageStyle()]);
    const hash = createHash('sha256').update(styles[0]!, 'utf8').digest('base64');
    expect(unavailablePageCsp()).toBe(`default-src 'none'; style-src 'sha256-${hash}'; frame-ancestors 'none'; base-uri 'none'`);
    expect(html).not.toMatch(/<script|<img|<link|src=|href=|style="/i);
  });

  test('says what is wrong, that the link still works, and what to do, in plain words', () => {
    const text = renderUnavailablePage().replace(/<[^>]+>/g, ' ');
    expect(text).toContain("The VPN's sign-up service cannot reach its control server right now.");
    expect(text).toContain('Your invite or connect link is still valid; nothing is wrong on your side.');
    expect(text).toContain('Try again in a few minutes.');
    expect(text).not.toMatch(/\b(503|HAProxy|Bulwark|edge|backend)\b/i);
  });
});
