/// <reference lib="dom" />
// QR codes as inline SVG made with DOM calls: no markup strings parsed, no style attributes
// (the pages' CSP has no 'unsafe-inline'), and crisp at any size the stylesheet gives them.
import { create, type QRCodeErrorCorrectionLevel } from 'qrcode';

const SVG_NS = 'http://www.w3.org/2000/svg';
/** Light modules around the code: the QR spec asks for four. */
const QUIET_ZONE = 4;

/** The dark modules as one path, a rectangle per horizontal run. */
export function qrPath(text: string, level: QRCodeErrorCorrectionLevel): { size: number; d: string } {
  const { modules } = create(text, { errorCorrectionLevel: level });
  const n = modules.size;
  const parts: string[] = [];
  for (let y = 0; y < n; y++) {
    for (let x = 0; x < n; ) {
      if (!modules.get(y, x)) {
        x++;
        continue;
      }
      let run = 1;
      while (x + run < n && modules.get(y, x + run)) run++;
      parts.push(`M${x + QUIET_ZONE} ${y + QUIET_ZONE}h${run}v1h-${run}z`);
      x += run;
    }
  }
  return { size: n + 2 * QUIET_ZONE, d: parts.join('') };
}

/**
 * Replaces the children of `container` with a QR code of `text`. `label` is what a screen reader
 * says for it. Level L holds the most (a config with many routes); M survives a worse camera.
 */
export function drawQr(container: Element, text: string, label: string, level: QRCodeErrorCorrectionLevel = 'M'): void {
  const { size, d } = qrPath(text, level);
  const svg = document.createElementNS(SVG_NS, 'svg');
  svg.setAttribute('viewBox', `0 0 ${size} ${size}`);
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', label);
  svg.setAttribute('shape-rendering', 'crispEdges');
  const background = document.createElementNS(SVG_NS, 'rect');
  background.setAttribute('width', String(size));
  background.setAttribute('height', String(size));
  background.setAttribute('fill', '#ffffff');
  const dark = document.createElementNS(SVG_NS, 'path');
  dark.setAttribute('d', d);
  dark.setAttribute('fill', '#000000');
  svg.append(background, dark);
  container.replaceChildren(svg);
}
