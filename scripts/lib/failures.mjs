/**
 * What went wrong in a step, and what to do about it: a failed wrangler command is matched
 * against the errors this wrangler prints (its own messages and the Cloudflare API's, with
 * their codes) and given a reason and a hint. The scripts stop at the first failure, print
 * it (`renderFailure`) and exit with status 1.
 */
import { commandLine, parseJsonOutput, plain } from "./wrangler.mjs";

/** A step that cannot go on; `reason` is one of the keys of HINTS, or "unknown". */
export class StepFailure extends Error {
  /** @param {{ step: string, reason: string, detail?: string, hint: string }} options */
  constructor({ step, reason, detail = "", hint }) {
    super(`${step}: ${reason}`);
    this.name = "StepFailure";
    this.step = step;
    this.reason = reason;
    this.detail = detail;
    this.hint = hint;
    /** What the failed command printed on stdout, when one did. */
    this.stdout = "";
  }
}

const dash = (account, path) => `https://dash.cloudflare.com/${account ?? "?"}/${path}`;

/**
 * The errors recognised, in the order they are tried, each with its hint. `ctx`: the
 * account id (for dashboard links), the step's resource (`{ kind, name }`), the command.
 */
const HINTS = [
  {
    reason: "nodeTooOld",
    test: /Wrangler requires at least Node\.js/,
    hint: () =>
      "Run it through npm (`npm run setup`, `npm run deploy`, `npm run backup`): npm uses the project's own Node 22.",
  },
  {
    reason: "notLoggedIn",
    test: /Not logged in|"loggedIn":\s*false|You are not authenticated|necessary to set a CLOUDFLARE_API_TOKEN|\[code: (10000|1000|9109)\]/,
    hint: () =>
      "Log in first: `npx wrangler login` (it opens a browser), or set CLOUDFLARE_API_TOKEN to an API token that may edit Workers Scripts, D1, Workers KV Storage, Workers R2 Storage and Queues. Then run the command again.",
  },
  {
    reason: "accountAmbiguous",
    test: /More than one account available/,
    hint: () =>
      "Your login reaches several Cloudflare accounts: say which one with `--account-id <id>` (`npx wrangler whoami` lists them).",
  },
  {
    reason: "queuesUnavailable",
    test: /\[code: (100129|11002)\]|Queues are unavailable|In order to use Queues/,
    hint: (ctx) =>
      `This account cannot use Cloudflare Queues yet (Outpost delivers through them). Enable Queues at ${dash(ctx.accountId, "workers/queues")} (if Cloudflare asks for the Workers Paid plan: ${dash(ctx.accountId, "workers/plans")}), then run \`npm run setup\` again: what it already created is kept, and only what is missing is created.`,
  },
  {
    reason: "r2NotEnabled",
    test: /\[code: 10042\]|enable R2 through the Cloudflare Dashboard/,
    hint: (ctx) =>
      `R2 (where Outpost keeps media) is not enabled on this account. Enable it at ${dash(ctx.accountId, "r2/overview")} (Cloudflare asks for a payment method even for the free allowance), then run \`npm run setup\` again: what it already created is kept.`,
  },
  {
    // After the upload: wrangler sets the triggers once the Worker (and its secrets) is there.
    reason: "triggersFailed",
    test: /Trigger configuration for "[^"]*" was only partially updated|Can't deploy routes that are assigned to another worker/,
    hint: (ctx) =>
      `wrangler uploaded the Worker, but could not set all of its triggers (named above): a route another Worker has, or a queue that already has another Worker as its consumer (a queue has one), say. Free it in the dashboard (${dash(ctx.accountId, "workers/overview")}: that Worker's Settings → Domains & Routes; or Storage & Databases → Queues → the queue → Settings), then run the command again.`,
  },
  {
    reason: "nameTaken",
    test: /already exists|already taken|\[code: (7502|10014|10004)\]/,
    hint: (ctx) =>
      `The name ${ctx.resource?.name ?? ""} is taken, yet setup did not see it when it listed this account's resources: it may be in another jurisdiction or another account. Remove or rename that one (or change the name in wrangler.toml), then run \`npm run setup\` again.`,
  },
  {
    reason: "migrationFailed",
    test: /Migration (\S+) failed with the following errors/,
    hint: () =>
      "A migration failed on the remote database; it and those after it were not applied, and nothing was deployed (the Worker that runs is the previous one). Fix the cause wrangler names above, then run `npm run deploy` again: migrations go on from the one that failed. D1 Time Travel can also bring the database back to a moment before (`npx wrangler d1 time-travel restore`).",
  },
  {
    reason: "noWorkersDevSubdomain",
    test: /register a workers\.dev subdomain/,
    hint: (ctx) =>
      `This account has no workers.dev subdomain yet, and wrangler will not choose one without a terminal. Choose one at ${dash(ctx.accountId, "workers/onboarding")}, then run the command again.`,
  },
  {
    reason: "exportVirtualTables",
    test: /cannot export databases with Virtual Tables/,
    hint: () =>
      "D1 refused the export because the database has full-text (FTS5) tables, although they were left out of it (cloudflare/workers-sdk#6305). Until D1 allows it, D1 Time Travel keeps 7 to 30 days of the database's history (`npx wrangler d1 time-travel info`).",
  },
];

/** The error wrangler printed: from its first `[ERROR]`, without the bug-report and log-file lines. */
export function wranglerError(result) {
  const json = parseJsonOutput(result.stdout)?.error;
  if (typeof json?.text === "string") {
    return [json.text, ...(json.notes ?? []).map((n) => `  ${n.text}`)].join("\n");
  }
  const text = plain(`${result.stdout}\n${result.stderr}`);
  const start = text.search(/✘ \[ERROR\]|X \[ERROR\]/);
  const lines = (start === -1 ? plain(result.stderr || result.stdout) : text.slice(start))
    .split("\n")
    .filter((l) => !/If you think this is a bug|issues\/new\/choose|Logs were written to/.test(l));
  return lines.join("\n").trim().split("\n").slice(0, 20).join("\n");
}

/**
 * The failure of a wrangler command that did not succeed.
 *
 * @param {string} step what the script was doing, for the message ("Creating the R2 bucket outpost-media")
 * @param {{ code: number, stdout: string, stderr: string }} result
 * @param {{ args: string[], accountId?: string, resource?: { kind: string, name: string } }} ctx
 */
export function failureOf(step, result, ctx) {
  const text = plain(`${result.stdout}\n${result.stderr}`);
  const known = HINTS.find((h) => h.test.test(text));
  const failure = new StepFailure({
    step,
    reason: known?.reason ?? "unknown",
    detail: wranglerError(result),
    hint:
      known?.hint(ctx) ??
      `\`${commandLine(ctx.args)}\` exited with status ${result.code}; its message above says why. Fix that, then run the command again.`,
  });
  failure.stdout = result.stdout;
  return failure;
}

/** The hint for a reason, for failures found without a wrangler command. */
export function hintFor(reason, ctx = {}) {
  return HINTS.find((h) => h.reason === reason)?.hint(ctx) ?? "";
}

/** The lines a failure prints. */
export function renderFailure(failure) {
  const detail = failure.detail ? `\n${indent(failure.detail)}\n` : "";
  return `\n✘ ${failure.step} failed.\n${detail}\n${failure.hint}\n`;
}

function indent(text) {
  return text
    .split("\n")
    .map((l) => `    ${l}`)
    .join("\n");
}
