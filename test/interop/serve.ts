/**
 * A fetch handler served over real HTTP on 127.0.0.1, with a log of every request, and a
 * switch to take the server down (connections refused) and bring it back on the same port.
 */
import { once } from "node:events";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface LoggedRequest {
  readonly method: string;
  readonly path: string;
  readonly status: number;
  /** Which signature the request carried: RFC 9421, draft-cavage, or none. */
  readonly signature: "rfc9421" | "cavage" | "none";
  /** The `id` of a JSON body, when it had one. */
  readonly bodyId?: string;
  readonly at: number;
}

export type Handler = (request: Request) => Promise<Response>;

async function toRequest(req: IncomingMessage, origin: string): Promise<Request> {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) headers.append(name, v);
  }
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const body = chunks.length === 0 ? undefined : Buffer.concat(chunks);
  return new Request(new URL(req.url ?? "/", origin), {
    method: req.method,
    headers,
    body: req.method === "GET" || req.method === "HEAD" ? undefined : body,
  });
}

function signatureOf(request: Request): LoggedRequest["signature"] {
  if (request.headers.has("signature-input")) return "rfc9421";
  return request.headers.has("signature") ? "cavage" : "none";
}

async function bodyIdOf(request: Request): Promise<string | undefined> {
  if (request.method !== "POST") return undefined;
  try {
    const id = ((await request.clone().json()) as { id?: unknown }).id;
    return typeof id === "string" ? id : undefined;
  } catch {
    return undefined;
  }
}

export class LoopbackServer {
  readonly log: LoggedRequest[] = [];
  private server: Server | undefined;
  private port = 0;
  private inFlight = 0;
  private idleWaiters: (() => void)[] = [];

  constructor(private readonly handler: Handler) {}

  get origin(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Listens on a free port the first time, on the same port afterwards. */
  async up(): Promise<void> {
    const server = createServer((req, res) => void this.answer(req, res));
    server.listen(this.port, "127.0.0.1");
    await once(server, "listening");
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  /**
   * Resolves once no request is being answered: what a handler changed and the log entry of
   * its request are both there (the entry is written after the handler returns).
   */
  idle(): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Stops listening and drops open connections: the host refuses connections. */
  async down(): Promise<void> {
    const server = this.server;
    if (server === undefined) return;
    this.server = undefined;
    const closed = once(server, "close");
    server.close();
    server.closeAllConnections();
    await closed;
  }

  private async answer(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.inFlight++;
    try {
      await this.respond(req, res);
    } finally {
      if (--this.inFlight === 0) for (const wake of this.idleWaiters.splice(0)) wake();
    }
  }

  private async respond(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let response: Response;
    let request: Request | undefined;
    try {
      request = await toRequest(req, this.origin);
      const bodyId = await bodyIdOf(request);
      response = await this.handler(request.clone());
      this.log.push({
        method: request.method,
        path: new URL(request.url).pathname,
        status: response.status,
        signature: signatureOf(request),
        bodyId,
        at: Date.now(),
      });
    } catch (error) {
      console.error("peer: handler failed", error);
      response = new Response("internal error", { status: 500 });
    }
    res.writeHead(response.status, Object.fromEntries(response.headers));
    res.end(Buffer.from(await response.arrayBuffer()));
  }
}
