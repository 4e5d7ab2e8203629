import { describe, expect, test } from 'vitest';
import { NODE_H, NODE_W, place, shapeOf } from './topology-layout.js';

// Core, two gateways of one location, its devices, and an edge agent.
const nodes = ['core', 'gateway:a', 'gateway:b', 'location:hq', 'devices:hq', 'edge:e1'];
const edges = [
  { source: 'core', target: 'gateway:a' },
  { source: 'core', target: 'gateway:b' },
  { source: 'core', target: 'edge:e1' },
  { source: 'gateway:a', target: 'location:hq' },
  { source: 'gateway:b', target: 'location:hq' },
  { source: 'location:hq', target: 'devices:hq' },
];

describe('the map layout', () => {
  test('left to right: Core, the agents it links with, the location, its devices; no two nodes overlap', () => {
    const { places, shape } = place(nodes, edges);
    expect(Object.keys(places).sort()).toEqual([...nodes].sort());
    const x = (id: string) => places[id]!.x;
    expect(x('core')).toBeLessThan(x('gateway:a'));
    expect(x('gateway:a')).toBe(x('gateway:b'));
    expect(x('gateway:a')).toBeLessThan(x('location:hq'));
    expect(x('location:hq')).toBeLessThan(x('devices:hq'));
    for (const a of nodes)
      for (const b of nodes) {
        if (a === b) continue;
        const [p, q] = [places[a]!, places[b]!];
        expect(Math.abs(p.x - q.x) >= NODE_W || Math.abs(p.y - q.y) >= NODE_H, `${a} and ${b} overlap`).toBe(true);
      }
    expect(shape).toBe(shapeOf(nodes, edges));
  });

  test('the same shape lays out the same; another node is another shape', () => {
    expect(place(nodes, edges)).toEqual(place([...nodes], [...edges]));
    expect(shapeOf([...nodes, 'gateway:c'], edges)).not.toBe(shapeOf(nodes, edges));
    expect(shapeOf(nodes, edges.slice(1))).not.toBe(shapeOf(nodes, edges));
  });
});
