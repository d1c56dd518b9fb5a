/**
 * The owner's password, checked the one way every sign-in form checks it (the consent page,
 * the dashboard): refused outright when `OWNER_PASSWORD` is unset or too short, attempts
 * counted per address by `PASSWORD_RATE_LIMITER` before any comparison, compared in constant
 * time.
 */
import type { Context } from "hono";
import type { AppEnv } from "../../env";
import { sameSecret } from "../middleware/owner-auth";

/** A password shorter than this is refused: one guessable at five tries a minute is no lock. */
export const MIN_PASSWORD_LENGTH = 12;

/**
 * Who a password attempt is counted against: the client's address, or for IPv6 its /64 (one
 * subscriber gets a whole /64, so counting single addresses would not slow anyone down).
 */
export function addressKey(address: string | undefined): string {
  if (address === undefined || address === "") return "unknown";
  if (!address.includes(":")) return address;
  const [head = "", tail] = address.toLowerCase().split("::");
  const left = head === "" ? [] : head.split(":");
  const right = tail === undefined || tail === "" ? [] : tail.split(":");
  const groups =
    tail === undefined
      ? left
      : [...left, ...Array(Math.max(0, 8 - left.length - right.length)).fill("0"), ...right];
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ""))
    .join(":")}::/64`;
}

export type PasswordCheck =
  | { readonly ok: true; readonly password: string }
  | {
      readonly ok: false;
      readonly status: 401 | 429 | 503;
      readonly reason: "unset" | "rateLimited" | "wrong";
      readonly message: string;
    };

/** Whether `given` (a form field) is the owner's password; each attempt is counted first. */
export async function checkPassword<E extends AppEnv>(
  c: Context<E>,
  given: unknown,
): Promise<PasswordCheck> {
  const { ownerPassword } = c.var.ctx.config;
  if (ownerPassword === undefined || ownerPassword.length < MIN_PASSWORD_LENGTH) {
    return {
      ok: false,
      status: 503,
      reason: "unset",
      message: `No one can sign in: OWNER_PASSWORD is not set, or shorter than ${MIN_PASSWORD_LENGTH} characters.`,
    };
  }
  const address = addressKey(c.req.header("cf-connecting-ip"));
  const { success } = await c.env.PASSWORD_RATE_LIMITER.limit({ key: `password:${address}` });
  if (!success) {
    return {
      ok: false,
      status: 429,
      reason: "rateLimited",
      message: "Too many attempts. Wait a minute, then try again.",
    };
  }
  if (typeof given !== "string" || !(await sameSecret(given, ownerPassword))) {
    return { ok: false, status: 401, reason: "wrong", message: "That password is not right." };
  }
  return { ok: true, password: ownerPassword };
}
