/** Every HTML page carries a strict CSP that still lets its own style sheet apply. */
import { expect, it } from "vitest";
import { BROWSER, get, seedNote } from "./helpers";

async function styleHashOf(page: string): Promise<string> {
  const style = /<style>([\s\S]*?)<\/style>/.exec(page)?.[1] ?? "";
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(style));
  return `'sha256-${btoa(String.fromCharCode(...new Uint8Array(digest)))}'`;
}

it.each(["/users/owner", "/@owner", "note"])(
  "%s: no script, no framing, its style by hash",
  async (which) => {
    const path = which === "note" ? new URL((await seedNote()).id).pathname : which;
    const res = await get(path, BROWSER);
    expect(res.headers.get("Content-Type")).toMatch(/^text\/html/);
    const csp = res.headers.get("Content-Security-Policy") ?? "";
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toMatch(/script-src|unsafe-inline/);
    // Pictures from us and over https; no page draws one from a data: URL.
    expect(csp).toContain("img-src 'self' https:;");
    expect(csp).toContain(`style-src ${await styleHashOf(await res.text())}`);
  },
);
