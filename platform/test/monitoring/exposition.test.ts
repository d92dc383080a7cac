// @ts-expect-error the parser ships no types
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { describe, expect, it } from 'vitest';
import { mergeInstances, parseExposition, plainValue, withInstanceLabel } from '../../src/monitoring/exposition.js';

interface ParsedFamily { name: string; type: string; metrics: { labels?: Record<string, string>; value?: string; buckets?: Record<string, string> }[] }

/** What prom-client writes for a service: a counter with labels, a histogram, a default metric. */
const SERVICE_PAGE = `# HELP http_requests_total Requests
# TYPE http_requests_total counter
http_requests_total{method="GET",route="/products"} 12
http_requests_total{method="POST",route="/a,b}\\"c"} 1

# HELP http_duration_seconds Duration
# TYPE http_duration_seconds histogram
http_duration_seconds_bucket{le="0.1"} 3
http_duration_seconds_bucket{le="+Inf"} 4
http_duration_seconds_sum 0.5
http_duration_seconds_count 4
# TYPE process_resident_memory_bytes gauge
# HELP process_resident_memory_bytes Resident memory size in bytes.
process_resident_memory_bytes 52428800
# a plain comment
up_since{instance="mine"} 1700000000 1700000000000
`;

describe('instances\' own metrics, passed on with an instance label', () => {
  it('reads families with their samples (HELP and TYPE in either order, histograms\' series together)', () => {
    const families = parseExposition(SERVICE_PAGE);
    expect(families.map((family) => [family.name, family.type, family.samples.length])).toEqual([
      ['http_requests_total', 'counter', 2],
      ['http_duration_seconds', 'histogram', 4],
      ['process_resident_memory_bytes', 'gauge', 1],
      ['up_since', undefined, 1],
    ]);
    expect(plainValue(families, 'process_resident_memory_bytes')).toBe(52428800);
    expect(plainValue(families, 'http_requests_total')).toBeUndefined();
  });

  it('adds instance="…" to every sample; an instance label of the target\'s own becomes exported_instance', () => {
    expect(withInstanceLabel('process_resident_memory_bytes 5', 'catalog/1')).toBe('process_resident_memory_bytes{instance="catalog/1"} 5');
    expect(withInstanceLabel('a_total{x="1"} 2 1700000000000', 'catalog/1')).toBe('a_total{instance="catalog/1",x="1"} 2 1700000000000');
    expect(withInstanceLabel('a{route="/a,b}\\"c",instance="mine"} 1', 'web/2')).toBe('a{instance="web/2",route="/a,b}\\"c",exported_instance="mine"} 1');
    expect(withInstanceLabel('a{} 1', 'web/2')).toBe('a{instance="web/2"} 1');
  });

  it('merges instances into one page Prometheus\' parser accepts: each family once, clashes with the platform\'s names left out', () => {
    const text = mergeInstances([
      { instance: 'catalog/1', families: parseExposition(SERVICE_PAGE) },
      { instance: 'catalog/2', families: parseExposition(SERVICE_PAGE) },
      // another service typing the same name differently: left out, not a broken page
      { instance: 'web/1', families: parseExposition('# TYPE http_requests_total gauge\nhttp_requests_total 3\n# TYPE tall_http_requests_total counter\ntall_http_requests_total 1\n') },
    ], new Set(['tall_http_requests_total']));
    expect(text.match(/^# TYPE http_requests_total/gm)).toHaveLength(1);
    const families = parsePrometheusTextFormat(text) as ParsedFamily[];
    const byName = new Map(families.map((family) => [family.name, family]));
    expect(byName.has('tall_http_requests_total')).toBe(false);
    const requests = byName.get('http_requests_total')!;
    expect(requests.type).toBe('COUNTER');
    expect(requests.metrics.map((metric) => metric.labels!.instance).sort()).toEqual(['catalog/1', 'catalog/1', 'catalog/2', 'catalog/2']);
    expect(requests.metrics.find((metric) => metric.labels!.method === 'POST')!.labels!.route).toBe('/a,b}"c');
    const histogram = byName.get('http_duration_seconds')!;
    expect(histogram.type).toBe('HISTOGRAM');
    // (this parser folds a labelled histogram's series together, so the text itself is asked)
    expect(text.match(/^http_duration_seconds_count\{instance="catalog\/\d"\} 4$/gm)).toHaveLength(2);
    expect(byName.get('up_since')!.metrics[0]!.labels).toEqual({ instance: 'catalog/1', exported_instance: 'mine' });
  });
});
