/**
 * What the KV caches share (the actor cache, account extras, thread fetches): their keys, and
 * counted reads and writes. The free plan allows 100,000 KV reads and 1,000 writes a day:
 * every read is counted (`activitypub_kv_reads_total`), every write too
 * (`activitypub_kv_writes_total`, and `activitypub_kv_write_errors_total` when KV refused it).
 */
import { sha256Hex } from "../lib/hash";
import { recorder } from "../metrics/recorder";

/** The longest URL kept in a key as it is: KV keys are at most 512 bytes (of UTF-8). */
const MAX_URL_BYTES = 400;

/** The KV key of a URL under a prefix: the URL itself, or its SHA-256 when it is too long. */
export async function kvKey(prefix: string, url: string): Promise<string> {
  if (new TextEncoder().encode(url).byteLength <= MAX_URL_BYTES) return `${prefix}:${url}`;
  return `${prefix}:sha256:${await sha256Hex(url)}`;
}

/** Reads a JSON entry, counted; null when there is none. */
export function readJson<T>(kv: KVNamespace, key: string): Promise<T | null> {
  recorder().inc("activitypub_kv_reads_total");
  return kv.get<T>(key, "json");
}

/** Reads an entry as text, counted; null when there is none. */
export function readText(kv: KVNamespace, key: string): Promise<string | null> {
  recorder().inc("activitypub_kv_reads_total");
  return kv.get(key);
}

/** An entry to write: its text, its lifetime, and what it is (for the log, were it refused). */
export interface KvWrite {
  readonly text: string;
  readonly expirationTtl: number;
  readonly what: string;
}

/**
 * Writes an entry, counted; whether KV took it. A refused write (the day's quota spent, or
 * one write a second to a key exceeded) is logged and counted, never thrown: every KV entry
 * is a cache, and what it would have held is had again another way.
 */
export async function writeText(kv: KVNamespace, key: string, write: KvWrite): Promise<boolean> {
  try {
    await kv.put(key, write.text, { expirationTtl: write.expirationTtl });
    recorder().inc("activitypub_kv_writes_total");
    return true;
  } catch (error) {
    recorder().inc("activitypub_kv_write_errors_total");
    console.warn(`${write.what}: not written: ${error instanceof Error ? error.message : "error"}`);
    return false;
  }
}
