/**
 * Reading a streaming client's frames for the events the instance makes: the next one that
 * matches, skipping others (events of earlier actions may still be on their way), and the
 * certainty that none matching came.
 */
import type { Client } from "./sockets";

/** A frame as Mastodon sends it, its payload parsed (a status id stays a string). */
export interface Frame {
  readonly stream: readonly string[];
  readonly event: string;
  readonly payload: unknown;
}

function parse(text: string): Frame {
  const frame = JSON.parse(text) as { stream: string[]; event: string; payload?: string };
  let payload: unknown = frame.payload;
  if (frame.payload !== undefined && frame.event !== "delete") payload = JSON.parse(frame.payload);
  return { stream: frame.stream, event: frame.event, payload };
}

/** The frames read until one matches `wanted` (the last), within `ms`. */
export async function readUntil(
  client: Client,
  wanted: (frame: Frame) => boolean,
  ms = 4000,
): Promise<Frame[]> {
  const deadline = Date.now() + ms;
  const read: Frame[] = [];
  for (;;) {
    const left = deadline - Date.now();
    if (left <= 0) throw new Error(`no matching frame within ${ms} ms: ${JSON.stringify(read)}`);
    const frame = parse(await client.next(left));
    read.push(frame);
    if (wanted(frame)) return read;
  }
}

/** The next frame that matches `wanted`, within `ms`. */
export async function nextMatching(
  client: Client,
  wanted: (frame: Frame) => boolean,
  ms = 4000,
): Promise<Frame> {
  const read = await readUntil(client, wanted, ms);
  return read.at(-1) as Frame;
}

/** The frames that come within `ms` (for showing that something did not). */
export async function framesWithin(client: Client, ms: number): Promise<Frame[]> {
  const read: Frame[] = [];
  const deadline = Date.now() + ms;
  for (;;) {
    const left = deadline - Date.now();
    if (left <= 0) return read;
    try {
      read.push(parse(await client.next(left)));
    } catch {
      return read;
    }
  }
}

/** Whether a frame is an `event` on `stream` (its first label). */
export const on =
  (stream: string, event: string) =>
  (frame: Frame): boolean =>
    frame.stream[0] === stream && frame.event === event;

/** A status (or notification) payload's field. */
export const field = (frame: Frame, name: string): unknown =>
  (frame.payload as Record<string, unknown> | undefined)?.[name];
