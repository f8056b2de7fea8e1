/**
 * A scrape of a `/metrics` endpoint in the Prometheus text format, read the way a query would:
 * the sum of a metric's samples whose labels include the given ones. Comment lines are skipped.
 */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export class Scrape {
  readonly samples: Sample[];
  /** Every metric the endpoint declares (`# TYPE`), even a labelled counter with no sample yet. */
  readonly declared: Map<string, string>;

  constructor(text: string) {
    this.declared = new Map(
      [...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map(([, name, type]) => [name!, type!] as const),
    );
    this.samples = text
      .split('\n')
      .filter((line) => line !== '' && !line.startsWith('#'))
      .map(parseSample);
  }

  static async of(url: string): Promise<Scrape> {
    const response = await fetch(url);
    if (response.status !== 200) throw new Error(`GET ${url}: ${response.status}`);
    return new Scrape(await response.text());
  }

  /** Sum over the samples of `name` carrying every label in `labels` (0 when there are none). */
  sum(name: string, labels: Record<string, string> = {}): number {
    return this.samples
      .filter(
        (sample) =>
          sample.name === name &&
          Object.entries(labels).every(([key, value]) => sample.labels[key] === value),
      )
      .reduce((total, sample) => total + sample.value, 0);
  }

  /** The values `label` takes on the samples of `name`, e.g. every stream a counter has counted. */
  labelValues(name: string, label: string): string[] {
    const values = this.samples
      .filter((sample) => sample.name === name && sample.labels[label] !== undefined)
      .map((sample) => sample.labels[label]!);
    return [...new Set(values)].sort();
  }
}

function parseSample(line: string): Sample {
  const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)/.exec(line);
  if (!match) throw new Error(`not a Prometheus sample: ${line}`);
  const labels: Record<string, string> = {};
  for (const [, key, value] of (match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g))
    labels[key!] = value!.replace(/\\(.)/g, (_, escaped: string) => (escaped === 'n' ? '\n' : escaped));
  return { name: match[1]!, labels, value: Number(match[3]) };
}
