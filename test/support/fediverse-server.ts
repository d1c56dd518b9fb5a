/**
 * A fake fediverse for the tests: one real HTTP server on 127.0.0.1 that answers for every
 * remote host. The Worker's outbound requests reach it through miniflare's outboundService
 * (see vitest.config.ts), with the host they were meant for in X-Forwarded-Host. Tests
 * configure it and read what it received through an admin API at http://fediverse.admin.
 * It runs in Node, outside workerd; only the network boundary is fake.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { join, relative } from "node:path";

export const ADMIN_HOST = "fediverse.admin";

export interface FakeDocument {
  readonly url: string;
  readonly status?: number;
  /** JSON value, or a string sent as is. */
  readonly body?: unknown;
  readonly contentType?: string;
  readonly headers?: Record<string, string>;
  /** Wait this long before answering (timeouts). */
  readonly delayMs?: number;
  /** Sends the headers and the body's first bytes, then waits this long before the rest. */
  readonly stallBodyMs?: number;
  /** Answer 401 to requests without this header (a server that only takes RFC 9421). */
  readonly requireHeader?: string;
  /** Answer with these statuses, one per request, before the document's own. */
  readonly sequence?: number[];
}

export interface RecordedRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly body: string;
  /** Requests to the same host under way when it came, itself among them. */
  readonly concurrent: number;
}

const CORPUS = join(import.meta.dirname, "..", "..", "..", "shared", "corpus", "fixtures");

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

function json(res: ServerResponse, status: number, value: unknown): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(value));
}

/** Every JSON document of the shared corpus, or undefined when the corpus is not there. */
function corpus(): { file: string; document: unknown }[] | undefined {
  if (!existsSync(CORPUS)) return undefined;
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (name.endsWith(".json") && name !== "index.json") files.push(path);
    }
  };
  walk(CORPUS);
  return files.flatMap((path) => {
    try {
      return [{ file: relative(CORPUS, path), document: JSON.parse(readFileSync(path, "utf8")) }];
    } catch {
      return [];
    }
  });
}

export async function startFediverse(): Promise<{ port: number; close(): Promise<void> }> {
  const documents = new Map<string, FakeDocument>();
  const requests: RecordedRequest[] = [];
  const inFlight = new Map<string, number>();

  const admin = async (req: IncomingMessage, res: ServerResponse, url: URL) => {
    if (url.pathname === "/documents" && req.method === "POST") {
      for (const doc of JSON.parse(await readBody(req)) as FakeDocument[])
        documents.set(doc.url, doc);
      return json(res, 204, null);
    }
    if (url.pathname === "/documents" && req.method === "DELETE") {
      const prefix = url.searchParams.get("prefix") ?? "";
      for (const key of [...documents.keys()]) if (key.startsWith(prefix)) documents.delete(key);
      return json(res, 204, null);
    }
    if (url.pathname === "/requests" && req.method === "GET") {
      const host = url.searchParams.get("host");
      const method = url.searchParams.get("method");
      return json(
        res,
        200,
        requests.filter(
          (r) =>
            (host === null || new URL(r.url).host === host) &&
            (method === null || r.method === method),
        ),
      );
    }
    if (url.pathname === "/corpus" && req.method === "GET") {
      const docs = corpus();
      return docs === undefined ? json(res, 404, { error: "no corpus" }) : json(res, 200, docs);
    }
    return json(res, 404, { error: "unknown admin route" });
  };

  const server = createServer(async (req, res) => {
    try {
      const host = String(req.headers["x-forwarded-host"] ?? req.headers.host ?? "");
      const proto = String(req.headers["x-forwarded-proto"] ?? "http");
      const url = new URL(`${proto}://${host}${req.url ?? "/"}`);
      if (url.host === ADMIN_HOST) return await admin(req, res, url);
      const body = await readBody(req);
      const headers = Object.fromEntries(
        Object.entries(req.headers).map(([k, v]) => [
          k,
          Array.isArray(v) ? v.join(", ") : String(v),
        ]),
      );
      headers.host = url.host;
      delete headers["x-forwarded-host"];
      delete headers["x-forwarded-proto"];
      const underWay = (inFlight.get(url.host) ?? 0) + 1;
      inFlight.set(url.host, underWay);
      res.on("close", () => inFlight.set(url.host, (inFlight.get(url.host) ?? 1) - 1));
      requests.push({
        method: req.method ?? "GET",
        url: url.href,
        headers,
        body,
        concurrent: underWay,
      });
      const doc = documents.get(url.href);
      if (doc?.delayMs !== undefined) {
        await new Promise((resolve) => setTimeout(resolve, doc.delayMs));
      }
      if (doc?.requireHeader !== undefined && headers[doc.requireHeader] === undefined) {
        return json(res, 401, { error: "signature not accepted" });
      }
      const scripted = doc?.sequence?.shift();
      if (scripted !== undefined) {
        return json(res, scripted, scripted >= 400 ? { error: "scripted" } : null);
      }
      if (doc === undefined) {
        return req.method === "POST"
          ? json(res, 202, null)
          : json(res, 404, { error: "not found" });
      }
      const payload = typeof doc.body === "string" ? doc.body : JSON.stringify(doc.body ?? null);
      res.writeHead(doc.status ?? 200, {
        "content-type": doc.contentType ?? "application/activity+json",
        ...doc.headers,
      });
      if (doc.stallBodyMs !== undefined) {
        // Headers at once, then the first bytes of the body, then nothing for a while.
        res.write(payload.slice(0, 10));
        await new Promise((resolve) => setTimeout(resolve, doc.stallBodyMs));
        res.end(payload.slice(10));
        return;
      }
      res.end(doc.status === 204 ? undefined : payload);
    } catch (error) {
      if (!res.headersSent) json(res, 500, { error: String(error) });
      else res.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no port");
  return {
    port: address.port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
