/** Reading `/metrics` as a scraper would, for tests that watch a counter move. */
import parsePrometheus from "parse-prometheus-text-format";
import { request } from "../helpers";

/** The sum of a counter's series in `/metrics` whose labels include `labels`. */
export async function counterSum(
  name: string,
  labels: Record<string, string> = {},
): Promise<number> {
  const res = await request("/metrics", { headers: { Authorization: "Bearer test-owner-token" } });
  const family = parsePrometheus(await res.text()).find((f) => f.name === name);
  return (family?.metrics ?? [])
    .filter((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v))
    .reduce((sum, m) => sum + Number(m.value), 0);
}
