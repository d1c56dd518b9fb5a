/**
 * `POST /oauth/token` (RFC 6749 §4.1.3 with PKCE, RFC 7636 §4.6; and §4.4 client credentials)
 * and `POST /oauth/revoke` (RFC 7009). Bodies come as JSON, as a form, or with no content type
 * at all; the client authenticates in the body or with HTTP Basic (§2.3.1). Errors are
 * RFC 6749's `{ error, error_description }`.
 */
import { type Context, Hono } from "hono";
import type { AppEnv } from "../../env";
import { randomSecret, sha256Base64Url, sha256Hex } from "../../lib/hash";
import { parseScopes, within } from "../../mastodon/scopes";
import {
  exchangeCode,
  findApp,
  findCode,
  revokeReplayed,
  revokeToken,
  storeAppToken,
} from "../../storage/oauth";
import type { OAuthAppRow, OAuthTokenRow } from "../../storage/schema";
import { closeTokenSockets } from "../../streaming/send";
import { readBody } from "../api/input";
import { waitUntilOf } from "../background";
import { sameSecret } from "../middleware/owner-auth";

/** How long a code can be exchanged (Mastodon's and RFC 6749's recommendation). */
export const CODE_TTL_MS = 10 * 60 * 1000;
const MAX_BODY_BYTES = 16 * 1024;
const VERIFIER = /^[A-Za-z0-9._~-]{43,128}$/;

export const token = new Hono<AppEnv>();

type OAuthError =
  | "invalid_request"
  | "invalid_client"
  | "invalid_grant"
  | "unauthorized_client"
  | "unsupported_grant_type"
  | "invalid_scope"
  | "unsupported_token_type";

interface Problem {
  readonly status: 400 | 401 | 403 | 413;
  readonly error: OAuthError;
  readonly description: string;
}

function oauthError(c: Context, problem: Problem) {
  const { status, error, description } = problem;
  const headers: Record<string, string> = { "Cache-Control": "no-store", Pragma: "no-cache" };
  if (status === 401 && c.req.header("Authorization")?.startsWith("Basic ")) {
    headers["WWW-Authenticate"] = 'Basic realm="outpost"';
  }
  return c.json({ error, error_description: description }, status, headers);
}

type Params = Map<string, string>;

/** The body's string parameters (anything else is left out), or the error to answer. */
async function readParams(c: Context): Promise<Params | Response> {
  const body = await readBody(c, { sniff: true, maxBytes: MAX_BODY_BYTES });
  if (!body.ok) {
    return oauthError(c, {
      status: body.status,
      error: "invalid_request",
      description: body.error,
    });
  }
  const params: Params = new Map();
  for (const [name, value] of Object.entries(body.body)) {
    if (typeof value === "string" && value.length <= 2048) params.set(name, value);
  }
  return params;
}

/** The client, authenticated by HTTP Basic or by the body's `client_id`/`client_secret`. */
async function authenticateClient(
  c: Context<AppEnv>,
  params: Params,
  options: { secretOptional?: boolean } = {},
): Promise<
  { ok: true; app: OAuthAppRow; withSecret: boolean } | { ok: false; description: string }
> {
  let clientId = params.get("client_id");
  let secret = params.get("client_secret");
  const basic = c.req.header("Authorization")?.match(/^Basic\s+([A-Za-z0-9+/=]{1,1024})$/)?.[1];
  if (basic !== undefined) {
    const decoded = (() => {
      try {
        return atob(basic);
      } catch {
        return "";
      }
    })();
    const colon = decoded.indexOf(":");
    if (colon < 0) return { ok: false, description: "malformed HTTP Basic credentials" };
    const decode = (s: string) => {
      try {
        return decodeURIComponent(s.replaceAll("+", " "));
      } catch {
        return s;
      }
    };
    clientId = decode(decoded.slice(0, colon));
    secret = decode(decoded.slice(colon + 1));
  }
  if (clientId === undefined) return { ok: false, description: "client_id is missing" };
  const app = await findApp(c.var.ctx.db, clientId);
  if (app === undefined) return { ok: false, description: "unknown client" };
  if (secret === undefined || secret === "") {
    return options.secretOptional === true
      ? { ok: true, app, withSecret: false }
      : { ok: false, description: "client_secret is missing" };
  }
  if (!(await sameSecret(await sha256Hex(secret), app.clientSecretHash))) {
    return { ok: false, description: "wrong client secret" };
  }
  return { ok: true, app, withSecret: true };
}

function tokenResponse(c: Context, value: string, row: OAuthTokenRow) {
  return c.json(
    {
      access_token: value,
      token_type: "Bearer",
      scope: row.scopes,
      created_at: Math.floor(row.createdAt.getTime() / 1000),
    },
    200,
    { "Cache-Control": "no-store", Pragma: "no-cache" },
  );
}

token.post("/token", async (c) => {
  const params = await readParams(c);
  if (params instanceof Response) return params;
  const grant = params.get("grant_type");
  if (grant === undefined)
    return oauthError(c, {
      status: 400,
      error: "invalid_request",
      description: "grant_type is missing",
    });
  if (grant !== "authorization_code" && grant !== "client_credentials") {
    return oauthError(c, {
      status: 400,
      error: "unsupported_grant_type",
      description: `grant_type ${grant} is not supported`,
    });
  }
  const { ctx } = c.var;

  if (grant === "client_credentials") {
    const client = await authenticateClient(c, params);
    if (!client.ok)
      return oauthError(c, {
        status: 401,
        error: "invalid_client",
        description: client.description,
      });
    const scopes = parseScopes(params.get("scope"));
    if (!scopes.ok)
      return oauthError(c, {
        status: 400,
        error: "invalid_scope",
        description: `unknown scopes: ${scopes.unknown.join(" ")}`,
      });
    if (!within(scopes.scopes, new Set(client.app.scopes.split(" ")))) {
      return oauthError(c, {
        status: 400,
        error: "invalid_scope",
        description: "the scopes exceed those the application registered",
      });
    }
    const value = randomSecret();
    const row = await storeAppToken(ctx.db, {
      tokenHash: await sha256Hex(value),
      appSeq: client.app.seq,
      scopes: scopes.scopes.join(" "),
      createdAt: ctx.now(),
    });
    return tokenResponse(c, value, row);
  }

  const code = params.get("code");
  if (code === undefined)
    return oauthError(c, { status: 400, error: "invalid_request", description: "code is missing" });
  const found = await findCode(ctx.db, await sha256Hex(code));
  // A public client (RFC 7636) may omit its secret: the code verifier proves it asked.
  const client = await authenticateClient(c, params, {
    secretOptional: found?.codeChallenge !== null && found !== undefined,
  });
  if (!client.ok)
    return oauthError(c, { status: 401, error: "invalid_client", description: client.description });
  const now = ctx.now();
  if (found === undefined || found.appSeq !== client.app.seq) {
    return oauthError(c, {
      status: 400,
      error: "invalid_grant",
      description: "the code is not valid",
    });
  }
  if (found.tokenSeq !== null) {
    const revoked = await revokeReplayed(ctx.db, found);
    if (revoked !== undefined) closeTokenSockets(ctx, { seq: revoked, waitUntil: waitUntilOf(c) });
    return oauthError(c, {
      status: 400,
      error: "invalid_grant",
      description: "the code was used already; the token it gave is revoked",
    });
  }
  if (now.getTime() - found.createdAt.getTime() >= CODE_TTL_MS) {
    return oauthError(c, {
      status: 400,
      error: "invalid_grant",
      description: "the code has expired",
    });
  }
  if (params.get("redirect_uri") !== found.redirectUri) {
    return oauthError(c, {
      status: 400,
      error: "invalid_grant",
      description: "redirect_uri differs from the authorization request's",
    });
  }
  const verifier = params.get("code_verifier");
  if (found.codeChallenge !== null) {
    if (verifier === undefined || !VERIFIER.test(verifier)) {
      return oauthError(c, {
        status: 400,
        error: "invalid_grant",
        description: "a valid code_verifier is required",
      });
    }
    if (!(await sameSecret(await sha256Base64Url(verifier), found.codeChallenge))) {
      return oauthError(c, {
        status: 400,
        error: "invalid_grant",
        description: "code_verifier does not match the code_challenge",
      });
    }
  } else if (verifier !== undefined) {
    return oauthError(c, {
      status: 400,
      error: "invalid_grant",
      description: "code_verifier given, but the request had no code_challenge",
    });
  }
  const value = randomSecret();
  const row = await exchangeCode(ctx.db, {
    codeHash: found.codeHash,
    notBefore: new Date(now.getTime() - CODE_TTL_MS),
    tokenHash: await sha256Hex(value),
    at: now,
  });
  if (row === undefined)
    return oauthError(c, {
      status: 400,
      error: "invalid_grant",
      description: "the code was used already",
    });
  return tokenResponse(c, value, row);
});

token.post("/revoke", async (c) => {
  const params = await readParams(c);
  if (params instanceof Response) return params;
  const value = params.get("token");
  if (value === undefined)
    return oauthError(c, {
      status: 400,
      error: "invalid_request",
      description: "token is missing",
    });
  const client = await authenticateClient(c, params);
  if (!client.ok)
    return oauthError(c, { status: 401, error: "invalid_client", description: client.description });
  // RFC 7009 §2.2: an unknown token is not an error; another client's is not revoked.
  const { ctx } = c.var;
  const revoked = await revokeToken(ctx.db, {
    tokenHash: await sha256Hex(value),
    appSeq: client.app.seq,
  });
  // Sockets it opened close too (new ones are refused once the row is gone).
  if (revoked !== undefined) closeTokenSockets(ctx, { seq: revoked, waitUntil: waitUntilOf(c) });
  return c.json({}, 200, { "Cache-Control": "no-store" });
});
