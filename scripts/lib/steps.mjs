/**
 * The steps setup and deploy share: applying the remote migrations, deploying (with the
 * secrets a first deploy needs), checking the live instance.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { failureOf, hintFor, StepFailure } from "./failures.mjs";
import { checkInstance, notLiveAdvice } from "./live-check.mjs";
import { deployArgs, migrateArgs } from "./setup-plan.mjs";
import { parseWorkersDevUrl, plain } from "./wrangler.mjs";

const SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"];

/** A new secret: 24 random bytes, base64url (as `npm start` makes them for local instances). */
export function generateSecret() {
  return randomBytes(24).toString("base64url");
}

/** Runs a wrangler command; its result, or the failure of `step` when it does not succeed. */
export async function runOrFail(run, { step, args, echo, ctx }) {
  const result = await run(args, { echo });
  if (result.code !== 0) throw failureOf(step, result, { ...ctx, args });
  return result;
}

/**
 * The migration `wrangler d1 migrations apply` was applying when it stopped: the first of
 * those it listed to apply ("Migrations to be applied") that no later table marks ✅ (it
 * prints the table again after each migration it applies).
 */
export function failingMigration(stdout) {
  const text = plain(stdout);
  const rows = (part) =>
    part
      .split("\n")
      .map((line) => /^│ *(\S+\.sql) *│(?: *(\S+) *│)?/.exec(line))
      .filter((m) => m !== null);
  const start = text.indexOf("Migrations to be applied");
  if (start === -1) return undefined;
  const [listed, ...after] = text.slice(start).split("┌").slice(1);
  const done = new Set(
    after.flatMap((table) =>
      rows(table)
        .filter((m) => m[2] === "✅")
        .map((m) => m[1]),
    ),
  );
  return rows(listed ?? "")
    .map((m) => m[1])
    .find((name) => !done.has(name));
}

/** The migrations the last table `wrangler d1 migrations apply` printed marks ✅. */
export function appliedMigrations(stdout) {
  const last = plain(stdout).split("┌").at(-1) ?? "";
  return last
    .split("\n")
    .map((line) => /^│ *(\S+\.sql) *│ *✅ *│/.exec(line)?.[1])
    .filter((name) => name !== undefined);
}

/** Applies the migrations wrangler.toml's D1 database has that the remote one lacks. */
export async function migrateRemote(run, { io, config, binding, accountId }) {
  io.out(`\nApplying the D1 migrations to the remote database (${binding})…`);
  try {
    const result = await runOrFail(run, {
      step: "Applying the D1 migrations to the remote database",
      args: migrateArgs(binding, config),
      ctx: { accountId },
    });
    const applied = appliedMigrations(result.stdout);
    io.out(
      applied.length === 0
        ? "  ✔ no migration to apply"
        : `  ✔ applied ${applied.length === 1 ? applied[0] : `${applied.length} migrations, ${applied[0]} to ${applied.at(-1)}`}`,
    );
  } catch (error) {
    if (!(error instanceof StepFailure) || error.reason !== "unknown") throw error;
    const migration = failingMigration(error.stdout ?? "");
    throw new StepFailure({
      step: `Applying migration ${migration ?? "(unknown)"} to the remote database`,
      reason: "migrationFailed",
      detail: error.detail,
      hint: hintFor("migrationFailed"),
    });
  }
}

/**
 * Deploys the Worker. `secrets` (name → value) go with it through a file readable by this
 * user alone, removed at once: that is how a first deploy sets the secrets wrangler.toml
 * requires (wrangler refuses a new Worker without them), and the values never appear on a
 * command line. The workers.dev URL, when wrangler published there.
 *
 * When such a deploy fails, the secrets are shown all the same (`printSecretsAfterFailure`)
 * before the failure goes on: wrangler uploads the Worker with them before it sets its
 * triggers (routes, custom domains, queue consumers, crons), so a deploy that fails there has
 * set them, and the next run, which finds them set, would never show them.
 */
export async function deployWorker(run, { io, config, secrets = {}, accountId }) {
  io.out("\nDeploying the Worker…");
  const dir = Object.keys(secrets).length > 0 ? mkdtempSync(join(tmpdir(), "outpost-")) : null;
  // Interrupted, the file goes too (a `finally` does not run on a signal).
  const interrupted = () => {
    if (dir !== null) rmSync(dir, { recursive: true, force: true });
    process.exit(130);
  };
  if (dir !== null) for (const signal of SIGNALS) process.once(signal, interrupted);
  try {
    const file = dir === null ? undefined : join(dir, "secrets.json");
    if (file !== undefined) writeFileSync(file, JSON.stringify(secrets), { mode: 0o600 });
    const result = await runOrFail(run, {
      step: "Deploying the Worker",
      args: deployArgs(config, file),
      echo: true,
      ctx: { accountId },
    });
    return { workersDev: parseWorkersDevUrl(result.stdout) };
  } catch (error) {
    if (dir !== null) {
      const failure = error instanceof StepFailure ? error : undefined;
      const uploaded = workerUploaded(failure?.stdout);
      printSecretsAfterFailure(io, secrets, { uploaded, config });
      if (failure !== undefined) {
        failure.hint += uploaded
          ? "\n\nThe owner's secrets are set on the Worker now, and printed above: keep them before you run setup again (it will not show them again)."
          : "\n\nThe owner's secrets this deploy carried are printed above, in case they were set.";
      }
    }
    throw error;
  } finally {
    if (dir !== null) {
      for (const signal of SIGNALS) process.off(signal, interrupted);
      rmSync(dir, { recursive: true, force: true });
    }
  }
}

/**
 * Whether `wrangler deploy` said it uploaded the Worker (its `Uploaded <name> (<time>)` line):
 * from then on the Worker has the secrets the deploy carried, whatever fails after.
 */
export function workerUploaded(stdout) {
  return /^Uploaded \S+ \(/m.test(plain(stdout ?? ""));
}

const SECRET_USES = {
  OWNER_TOKEN: "Authorization: Bearer <token> for the owner API (scripts)",
  OWNER_PASSWORD: "what you type when an app signs in to the account",
};

function printSecrets(io, secrets) {
  for (const name of Object.keys(secrets)) {
    io.out(`    ${name.padEnd(15)} ${secrets[name]}`);
    if (SECRET_USES[name]) io.out(`    ${"".padEnd(15)} (${SECRET_USES[name]})`);
  }
}

/** Prints the secrets setup generated: the only time they are ever shown. */
export function printSecretsOnce(io, secrets) {
  if (Object.keys(secrets).length === 0) return;
  io.out("\nThe owner's secrets, now set on the Worker. They are shown this once and kept nowhere");
  io.out(
    "else: put them in your password manager now (`npx wrangler secret put NAME` replaces one).",
  );
  printSecrets(io, secrets);
}

/**
 * Prints the secrets a failed deploy carried, once, on the terminal as a deploy that succeeds
 * does (not in a file, which would outlive the run in the repository's folder). `uploaded`:
 * whether wrangler said it uploaded the Worker, and so set them.
 */
export function printSecretsAfterFailure(io, secrets, { uploaded, config }) {
  if (Object.keys(secrets).length === 0) return;
  io.out(
    uploaded
      ? [
          "\nThe deploy failed after wrangler uploaded the Worker with the owner's new secrets: they are",
          "now set on the Worker, and setup will not show them again (a later run keeps the secrets the",
          "Worker has). They are shown this once and kept nowhere else: put them in your password",
          "manager now (`npx wrangler secret put NAME` replaces one).",
        ].join("\n")
      : [
          "\nThe deploy failed before wrangler said it uploaded the Worker: the owner's new secrets are",
          "probably not set, and the next run makes new ones. In case they are set (if",
          `\`npx wrangler secret list --config ${config}\` lists them), these are their values; they`,
          "are shown this once and kept nowhere else:",
        ].join("\n"),
  );
  printSecrets(io, secrets);
}

/**
 * Checks that the instance answers at its origin and says what it found; when it does not,
 * what to do. Whether it answered.
 */
export async function reportLive(io, options) {
  const { origin, username } = options;
  io.out(`\nChecking ${origin} as other servers will…`);
  let told = false;
  const result = await checkInstance({
    ...options,
    onRetry: () => {
      if (!told) io.out("  (not answering as expected yet: trying again for a little while)");
      told = true;
    },
  });
  for (const check of result.checks) {
    io.out(`  ${check.ok ? "✔" : "✘"} ${check.name.padEnd(10)} ${check.detail}`);
  }
  if (result.ok) {
    io.out(`\nOutpost is live: follow @${username}@${new URL(origin).host} from any server.`);
  } else {
    io.out(`\n${notLiveAdvice({ ...options, result })}`);
  }
  return result.ok;
}
