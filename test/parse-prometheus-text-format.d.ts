/** The Prometheus text parser the metrics tests read `/metrics` with; it ships no types. */
declare module "parse-prometheus-text-format" {
  interface Series {
    readonly labels?: Record<string, string>;
    readonly value?: string;
    readonly buckets?: Record<string, string>;
    readonly count?: string;
  }
  interface Family {
    readonly name: string;
    readonly help: string;
    readonly type: string;
    readonly metrics: readonly Series[];
  }
  export default function parse(text: string): Family[];
}
