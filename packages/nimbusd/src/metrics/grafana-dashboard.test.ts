import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createNimbusMetrics, METRIC_NAMES } from './nimbus-metrics.ts';

const DASHBOARD = fileURLToPath(new URL('../../../../examples/grafana/nimbusd.json', import.meta.url));

/** Every PromQL query in the dashboard: panel targets and template variables. */
function queriesOf(node: unknown, out: string[] = []): string[] {
  if (Array.isArray(node)) for (const item of node) queriesOf(item, out);
  else if (node && typeof node === 'object') {
    for (const [key, value] of Object.entries(node)) {
      if ((key === 'expr' || key === 'query' || key === 'definition') && typeof value === 'string') out.push(value);
      else queriesOf(value, out);
    }
  }
  return out;
}

/** Every series name a registry exposes: a histogram's as its _bucket, _sum and _count series. */
async function exposedSeries(): Promise<Set<string>> {
  const { registry } = createNimbusMetrics();
  const names = new Set<string>();
  for (const metric of await registry.getMetricsAsJSON()) {
    names.add(metric.name);
    if (String(metric.type) === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) names.add(metric.name + suffix);
  }
  return names;
}

describe('examples/grafana/nimbusd.json', () => {
  const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as { panels: Array<{ id: number; type: string; targets?: unknown[] }> };
  const queries = queriesOf(dashboard);
  const queried = new Set(queries.flatMap((q) => q.match(/\b(?:nimbusd|process|nodejs)_[a-z0-9_]+/g) ?? []));

  it('queries only metrics that nimbusd exposes', async () => {
    const exposed = await exposedSeries();
    expect(queried.size).toBeGreaterThan(0);
    expect([...queried].filter((name) => !exposed.has(name))).toEqual([]);
  });

  it("has a panel for each of nimbusd's own metrics", () => {
    const panelQueries = dashboard.panels.flatMap((p) => queriesOf(p.targets ?? []));
    for (const name of Object.values(METRIC_NAMES)) {
      expect(panelQueries.some((q) => q.includes(name)), `no panel queries ${name}`).toBe(true);
    }
  });

  it('gives every panel a unique id', () => {
    const ids = dashboard.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
