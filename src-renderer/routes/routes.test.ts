import { describe, expect, test } from 'vitest';
import { pathOf, viewOf, type View } from './routes.js';

describe("every page's URL", () => {
  test('each page and its path, both ways', () => {
    const pages: [View, string][] = [
      [{ kind: 'topology' }, '/'],
      [{ kind: 'locations' }, '/locations'],
      [{ kind: 'location', name: 'hq' }, '/locations/hq'],
      [{ kind: 'location', name: 'hq.east' }, '/locations/hq.east'],
      [{ kind: 'location', name: 'büro 2' }, '/locations/b%C3%BCro%202'],
      [{ kind: 'device', location: 'hq', name: "Anna's laptop" }, "/locations/hq/devices/Anna's%20laptop"],
      [{ kind: 'device', location: 'hq', name: 'a/b' }, '/locations/hq/devices/a%2Fb'],
      [{ kind: 'hosts' }, '/hosts'],
      [{ kind: 'host', name: 'gw1' }, '/hosts/gw1'],
      [{ kind: 'provisioning' }, '/provisioning'],
      [{ kind: 'run', id: 'ui-0123abcd' }, '/provisioning/runs/ui-0123abcd'],
      [{ kind: 'backup' }, '/backup'],
    ];
    for (const [view, path] of pages) {
      expect(pathOf(view)).toBe(path);
      expect(viewOf(path)).toEqual(view);
    }
    expect(viewOf('/locations/')).toEqual({ kind: 'locations' });
  });

  test('an unknown or malformed path is a page that says so, not another page', () => {
    for (const path of ['/nowhere', '/hosts/gw1/extra', '/locations/hq/x/y', '/locations/hq/devices', '/locations/hq/devices/a/b', '/provisioning/x', '/provisioning/runs', '/backup/x', '/locations/%E0%A4%A']) expect(viewOf(path)).toEqual({ kind: 'missing', path });
  });
});
