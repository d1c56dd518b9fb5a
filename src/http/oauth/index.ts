/** The OAuth 2 server: the consent page, the token and revocation endpoints. */
import { Hono } from "hono";
import type { AppEnv } from "../../env";
import { authorize } from "./authorize";
import { token } from "./token";

export const oauth = new Hono<AppEnv>();
oauth.route("/authorize", authorize);
oauth.route("/", token);
