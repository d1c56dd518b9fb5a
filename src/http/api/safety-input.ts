/**
 * The input of the owner's safety routes: a mute's options, a domain to block. Mastodon
 * reads these from the query as well as the body (apps send `DELETE
 * /api/v1/domain_blocks?domain=…`), so both are read, the body winning.
 */
import type { Context } from "hono";
import * as v from "valibot";
import { firstIssue } from "../../lib/issues";
import { Flag, type InputResult, readBody } from "./input";

/** The longest mute with an end: a century (a longer one might as well have none). */
export const MAX_MUTE_SECONDS = 100 * 365 * 24 * 3600;

/** Seconds, as a JSON number or form text; empty or null is 0 (for good), as Mastodon reads it. */
const Seconds = v.pipe(
  v.union(
    [v.pipe(v.number(), v.integer("must be whole seconds")), v.pipe(v.string(), v.trim())],
    "must be a number of seconds",
  ),
  v.transform((x) => (x === "" ? 0 : Number(x))),
  v.number("must be a number of seconds"),
  v.integer("must be whole seconds"),
  v.minValue(0, "must not be negative"),
  v.maxValue(MAX_MUTE_SECONDS, "must be at most a century"),
);

const Mute = v.object({
  notifications: v.optional(v.nullable(Flag)),
  duration: v.optional(v.nullable(Seconds)),
});

const Domain = v.object({
  domain: v.pipe(v.string("must be a domain"), v.trim(), v.nonEmpty("is required")),
});

/** The query's parameters under the body's; a failure reads like Mastodon's (422). */
async function readParams<S extends v.GenericSchema>(
  c: Context,
  schema: S,
): Promise<InputResult<v.InferOutput<S>>> {
  const body = await readBody(c);
  if (!body.ok) return body;
  const parsed = v.safeParse(schema, { ...c.req.query(), ...body.body });
  if (parsed.success) return { ok: true, value: parsed.output };
  const { path, message, missing } = firstIssue(parsed.issues);
  const key = path.join(".");
  const problem = missing && key !== "" ? "is required" : message;
  return { ok: false, status: 422, error: `Validation failed: ${key ? `${key} ` : ""}${problem}` };
}

/** A mute's options: `notifications` (default true) and `duration` (seconds; 0, for good). */
export async function readMuteInput(c: Context) {
  const input = await readParams(c, Mute);
  if (!input.ok) return input;
  const { notifications, duration } = input.value;
  return {
    ok: true,
    value: { notifications: notifications ?? true, duration: duration ?? 0 },
  } as const;
}

/** One DNS label, after IDNA (`xn--…`): letters, digits and inner hyphens, up to 63. */
const LABEL = /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/;

/**
 * A domain as `actors.domain` holds it, or undefined when the text is not a host: lower
 * case, internationalised names in their ASCII form, a port kept unless it is https's own,
 * a final dot dropped. Only a host: no scheme, path, user or query.
 */
export function parseDomain(text: string): string | undefined {
  const given = text.trim().replace(/\.$/, "");
  if (given === "" || given.length > 253 || /[\s/?#@\\]/.test(given)) return undefined;
  let url: URL;
  try {
    url = new URL(`https://${given}`);
  } catch {
    return undefined;
  }
  if (url.username !== "" || url.password !== "" || url.pathname !== "/") return undefined;
  if (url.search !== "" || url.hash !== "") return undefined;
  const { hostname } = url;
  if (hostname.startsWith("[")) return url.host;
  const labels = hostname.split(".");
  if (hostname.length > 253 || !labels.every((label) => LABEL.test(label))) return undefined;
  return url.host;
}

/** The `domain` parameter, a host other than ours, normalised; 422 otherwise. */
export async function readDomainInput(c: Context, ownHost: string): Promise<InputResult<string>> {
  const input = await readParams(c, Domain);
  if (!input.ok) return input;
  const domain = parseDomain(input.value.domain);
  if (domain === undefined) {
    return { ok: false, status: 422, error: "Validation failed: domain is not a valid domain" };
  }
  if (domain === ownHost.toLowerCase()) {
    return { ok: false, status: 422, error: "Validation failed: domain is this server's own" };
  }
  return { ok: true, value: domain };
}
