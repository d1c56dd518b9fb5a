/**
 * A streaming client inside workerd: opens `/api/v1/streaming` as an app does, and reads the
 * frames it is sent, in order, each within a deadline.
 */
import { env } from "cloudflare:workers";
import { expect } from "vitest";
import { streamingObject } from "../../src/streaming/send";
import type { StreamEvent } from "../../src/streaming/types";
import { OWNER_TOKEN, request } from "../helpers";

export interface ConnectOptions {
  /** After `/api/v1/streaming`, with its query: `?stream=user`, `/user`. */
  readonly path?: string;
  /** Where the token goes; `authorization` by default. */
  readonly via?: "authorization" | "protocol" | "query";
  /** The owner's token by default; null for none. */
  readonly token?: string | null;
  readonly headers?: Record<string, string>;
}

/** The answer to an upgrade request to the streaming API. */
export function connect(options: ConnectOptions = {}): Promise<Response> {
  const { path = "", via = "authorization", token = OWNER_TOKEN } = options;
  const headers: Record<string, string> = { Upgrade: "websocket", ...options.headers };
  let url = `/api/v1/streaming${path}`;
  if (token !== null && via === "authorization") headers.Authorization = `Bearer ${token}`;
  if (token !== null && via === "protocol") headers["Sec-WebSocket-Protocol"] = token;
  if (token !== null && via === "query") {
    url += `${url.includes("?") ? "&" : "?"}access_token=${encodeURIComponent(token)}`;
  }
  return request(url, { headers });
}

export class Client {
  private readonly frames: string[] = [];
  private readonly waiting: ((frame: string) => void)[] = [];
  /** How the socket closed, once it has. */
  readonly closed: Promise<{ code: number; reason: string }>;

  constructor(readonly ws: WebSocket) {
    ws.accept();
    ws.addEventListener("message", (event) => {
      const frame = typeof event.data === "string" ? event.data : "(binary)";
      const waiter = this.waiting.shift();
      if (waiter === undefined) this.frames.push(frame);
      else waiter(frame);
    });
    this.closed = new Promise((resolve) => {
      ws.addEventListener("close", (event) => resolve({ code: event.code, reason: event.reason }));
    });
  }

  /** The next frame, or a failure after `ms`. */
  next(ms = 3000): Promise<string> {
    const ready = this.frames.shift();
    if (ready !== undefined) return Promise.resolve(ready);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.splice(this.waiting.indexOf(waiter), 1);
        reject(new Error(`no frame within ${ms} ms`));
      }, ms);
      const waiter = (frame: string) => {
        clearTimeout(timer);
        resolve(frame);
      };
      this.waiting.push(waiter);
    });
  }

  async nextJson(): Promise<unknown> {
    return JSON.parse(await this.next());
  }

  /** Sends text and bytes as they are, anything else as JSON. */
  send(message: unknown): void {
    if (typeof message === "string" || message instanceof Uint8Array) this.ws.send(message);
    else this.ws.send(JSON.stringify(message));
  }

  subscribe(stream: string, params: Record<string, string> = {}): void {
    this.send({ type: "subscribe", stream, ...params });
  }

  /**
   * Waits until the object has handled every message sent before: it answers them in order,
   * so once it refuses a hashtag without a tag (whatever the token's scopes), what came
   * earlier is done.
   */
  async settle(): Promise<void> {
    this.send({ type: "subscribe", stream: "hashtag" });
    expect(await this.nextJson()).toEqual({ error: "Missing tag name parameter", status: 400 });
  }

  close(): void {
    try {
      this.ws.close(1000, "done");
    } catch {
      // Closed already.
    }
  }
}

const open: Client[] = [];

/** Opens a socket (it must be accepted) and reads it; `closeAll` closes what is left. */
export async function openClient(options: ConnectOptions = {}): Promise<Client> {
  const res = await connect(options);
  if (res.status !== 101) expect.fail(`${res.status}: ${await res.text()}`);
  const ws = res.webSocket;
  if (ws === null) throw new Error("a 101 without a socket");
  const client = new Client(ws);
  open.push(client);
  return client;
}

export function closeAll(): void {
  for (const client of open.splice(0)) client.close();
}

/** The one `Streaming` object. */
export const streamingStub = () => streamingObject(env.STREAMING);

/** Broadcasts and waits for it (the code under test sends without waiting). */
export function broadcast(...events: StreamEvent[]): Promise<number> {
  return streamingStub().broadcast(events);
}

/** An `update` of a status with this id, to `streams`. */
export function update(id: string, ...streams: string[]): StreamEvent {
  return { streams, event: "update", payload: JSON.stringify({ id }) };
}
