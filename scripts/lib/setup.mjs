/**
 * `npm run setup`: from a Cloudflare login to a live instance. It asks for (or takes) the
 * public origin and the owner's username, finds the account, creates what the account lacks
 * (queues, D1 database, KV namespace, R2 bucket) and only that, writes the deploy
 * configuration, generates the owner's secrets when the Worker has none, applies the remote
 * migrations, deploys, and checks the instance from outside. Run again, it creates nothing,
 * keeps the secrets and redeploys.
 */
import { parseArgs } from "node:util";
import { readBaseConfig, readDeployConfig, writeDeployConfig } from "./config-files.mjs";
import {
  DEPLOY_CONFIG_FILE,
  deriveDeployConfig,
  missingIds,
  parseOrigin,
  parseUsername,
  resourcesOf,
  settingsOf,
} from "./deploy-config.mjs";
import { failureOf, hintFor, renderFailure, StepFailure, wranglerError } from "./failures.mjs";
import {
  COMMANDS,
  chooseAccount,
  idsOf,
  KIND_NAMES,
  missingResources,
  missingSecrets,
  neededResources,
  readInventory,
  readQueueInfo,
  secretListArgs,
  WHOAMI,
} from "./setup-plan.mjs";
import {
  deployWorker,
  generateSecret,
  migrateRemote,
  printSecretsOnce,
  reportLive,
} from "./steps.mjs";
import { parseJsonOutput, plain } from "./wrangler.mjs";

export const SETUP_USAGE = `usage: npm run setup [-- --origin https://social.example --username alice] [--account-id ID]

  --origin           the https origin the instance is served at (its identity: it cannot change later)
  --username         the owner's username: @username@host
  --account-id       the Cloudflare account, when your login reaches several
  --change-identity  allow an origin or username other than the one already set up (to other
                     servers a new account: the followers stay with the old one)

With both --origin and --username it asks nothing; without them it asks (in a terminal), or
keeps what a previous run chose.`;

/** A mistake in how the command was called: exit status 2. */
export class UsageError extends Error {}

/**
 * Runs setup; its exit status.
 *
 * @param {import("./setup.d.mts").SetupOptions} options
 */
export async function runSetup(options) {
  const { io } = options;
  try {
    await setup(options);
    return 0;
  } catch (error) {
    if (error instanceof StepFailure) {
      io.err(renderFailure(error));
      return 1;
    }
    if (error instanceof UsageError) {
      io.err(`${error.message}\n\n${SETUP_USAGE}`);
      return 2;
    }
    throw error;
  }
}

function parseSetupArgs(argv) {
  try {
    return parseArgs({
      args: argv,
      options: {
        origin: { type: "string" },
        username: { type: "string" },
        "account-id": { type: "string" },
        "change-identity": { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

async function setup(options) {
  const { io, cwd } = options;
  const args = parseSetupArgs(options.argv);
  if (args.help) return io.out(SETUP_USAGE);
  const base = await readBaseConfig(cwd);
  const previous = settingsOf(await readDeployConfig(cwd));
  const { origin, username } = await identity(args, previous, io);
  io.out(`Setting up @${username}@${new URL(origin).host} at ${origin}\n`);

  const account = await login(options, { requested: args["account-id"], previous });
  const accountId = account.id;
  /** @type {import("./wrangler.d.mts").Wrangler} */
  const run = (a, o = {}) =>
    options.wrangler(a, { ...o, env: { ...o.env, CLOUDFLARE_ACCOUNT_ID: accountId } });

  const resources = resourcesOf(base);
  const kinds = ["queue", "d1", "kv", "r2"];
  const inventory = await takeInventory(run, { kinds, accountId, queues: resources.queues });
  const missing = missingResources(resources, inventory, previous);
  const toCreate = new Set(missing.map((r) => `${r.kind}:${r.name}`));
  for (const resource of neededResources(resources)) {
    const created = toCreate.has(`${resource.kind}:${resource.name}`)
      ? await create(run, { resource, accountId })
      : false;
    io.out(`  ${created ? "+" : "✔"} ${KIND_NAMES[resource.kind]} ${resource.name}`);
  }
  const relist = ["d1", "kv"].filter((kind) => missing.some((r) => r.kind === kind));
  if (relist.length > 0)
    Object.assign(inventory, await takeInventory(run, { kinds: relist, accountId }));

  const config = deriveDeployConfig(base, {
    ...previous,
    accountId,
    origin,
    username,
    ...idsOf(resources, inventory, previous),
  });
  const absent = missingIds(config);
  if (absent.length > 0) {
    throw new StepFailure({
      step: "Finding the new resources' ids",
      reason: "unknown",
      hint: `wrangler created them, but its lists do not show ${absent.join(", ")} yet: run \`npm run setup\` again in a minute.`,
    });
  }
  const file = writeDeployConfig(cwd, config);
  io.out(`  ✔ wrote ${DEPLOY_CONFIG_FILE}`);

  const secrets = await secretsToSet(run, {
    config: file,
    required: base.secrets?.required ?? [],
    accountId,
    generate: options.generateSecret ?? generateSecret,
  });
  io.out(
    Object.keys(secrets).length === 0
      ? "  ✔ the owner's secrets are set"
      : `  + new secrets to set: ${Object.keys(secrets).join(", ")}`,
  );
  const binding = resources.d1[0]?.binding ?? "DB";
  await migrateRemote(run, { io, config: file, binding, accountId });
  const { workersDev } = await deployWorker(run, { io, config: file, secrets, accountId });
  printSecretsOnce(io, secrets);
  await reportLive(io, {
    origin,
    username,
    worker: resources.worker,
    workersDev,
    accountId,
    fetch: options.fetch,
    ...options.liveCheck,
  });
  io.out(
    `\nFrom now on: \`npm run deploy\` after an upgrade (git pull), \`npm run backup\` for a copy of the data.`,
  );
}

/**
 * The origin and username: the flags, else a previous run's, else asked. Either differing
 * from what the deploy configuration already has is refused without --change-identity: they
 * make the owner's actor URL, which the database's follows, posts and keys belong to.
 */
async function identity(args, previous, io) {
  const origin = await settle(io, {
    given: args.origin,
    previous: previous.origin,
    question: "The public origin of the instance (e.g. https://social.example):",
    parse: (text) => parseOrigin(text),
    flag: "--origin",
  });
  const username = await settle(io, {
    given: args.username,
    previous: previous.username,
    question: `The owner's username (@username@${new URL(origin).host}):`,
    parse: (text) => parseUsername(text, origin),
    flag: "--username",
  });
  const keptOrigin = parsedOr(parseOrigin(previous.origin), "origin");
  const keptUsername = parsedOr(parseUsername(previous.username), "username");
  const changes = [
    ["origin", "--origin", keptOrigin, origin],
    ["username", "--username", keptUsername, username],
  ].filter(([, , kept, now]) => kept !== undefined && kept !== now);
  if (changes.length === 0) return { origin, username };
  const before = `${keptOrigin ?? origin}/users/${keptUsername ?? username}`;
  const after = `${origin}/users/${username}`;
  const what = changes.map(([name, , kept, now]) => `the ${name} from ${kept} to ${now}`);
  if (!args["change-identity"]) {
    throw new UsageError(
      `${changes.map(([, flag]) => flag).join(" and ")}: this instance is set up (${DEPLOY_CONFIG_FILE}) as ${before}, and this would change ${what.join(" and ")}. ` +
        `${before} is the owner's identity to other servers: its followers follow that address, and the database's posts, follows and keys belong to it. ` +
        `Under ${after} other servers would see a new account without them, and the followers would stay with the old one. ` +
        "To change it all the same (an instance no one follows yet, say), run setup again with --change-identity.",
    );
  }
  io.out(
    `Note (--change-identity): changing ${what.join(" and ")}. To other servers ${after} is a new account; the followers stay with ${before}.`,
  );
  return { origin, username };
}

/** The value a parse found, or undefined (nothing given, or not valid). */
function parsedOr(parsed, key) {
  return parsed.ok ? parsed[key] : undefined;
}

async function settle(io, { given, previous, question, parse, flag }) {
  if (given !== undefined) {
    const parsed = parse(given);
    if (!parsed.ok) throw new UsageError(`${flag}: ${parsed.reason}`);
    return parsed.origin ?? parsed.username;
  }
  const kept = previous === undefined ? undefined : parse(previous);
  if (kept?.ok) return kept.origin ?? kept.username;
  if (io.ask === undefined) throw new UsageError(`${flag} is needed (no terminal to ask in)`);
  for (;;) {
    const parsed = parse(await io.ask(question));
    if (parsed.ok) return parsed.origin ?? parsed.username;
    io.out(`  ${parsed.reason}`);
  }
}

/** Who wrangler is logged in as, and the account to use. */
async function login(options, { requested, previous }) {
  const { io } = options;
  const step = "Checking the Cloudflare login";
  const result = await options.wrangler(WHOAMI);
  const who = parseJsonOutput(result.stdout);
  if (result.code !== 0 || who?.loggedIn !== true) {
    throw failureOf(step, result, { args: WHOAMI });
  }
  const accounts = who.accounts ?? [];
  const choice = chooseAccount({
    accounts,
    requested: requested ?? options.env?.CLOUDFLARE_ACCOUNT_ID,
    previous: previous.accountId,
  });
  let account = choice.ok ? choice.account : undefined;
  if (!choice.ok && choice.reason === "several" && io.ask) {
    accounts.forEach((a, i) => {
      io.out(`  ${i + 1}. ${a.name} (${a.id})`);
    });
    const answer = await io.ask("Which account?", "1");
    account = accounts[Number(answer) - 1] ?? accounts.find((a) => a.id === answer);
  }
  if (account === undefined) {
    const listed = accounts.map((a) => `${a.name}: ${a.id}`).join("\n");
    throw new StepFailure({
      step,
      reason: choice.ok || choice.reason === "several" ? "accountAmbiguous" : choice.reason,
      detail: listed,
      hint:
        accounts.length === 0
          ? "This login reaches no Cloudflare account: log in as an account member (`npx wrangler login`)."
          : choice.ok || choice.reason !== "notFound"
            ? hintFor("accountAmbiguous")
            : "The account asked for is not one this login reaches (listed above): check --account-id or CLOUDFLARE_ACCOUNT_ID.",
    });
  }
  io.out(`  ✔ logged in${who.email ? ` as ${who.email}` : ""}: ${account.name} (${account.id})`);
  return account;
}

/**
 * What the account has, for each kind: the list commands, and a lookup by name for each
 * queue (`queues list` shows one page only), run side by side.
 */
async function takeInventory(run, { kinds, accountId, queues = [] }) {
  const lookups = kinds.flatMap((kind) =>
    kind === "queue"
      ? queues.map((name) => ({ kind, name, args: COMMANDS.queue.info(name) }))
      : [{ kind, name: undefined, args: COMMANDS[kind].list }],
  );
  const results = await Promise.all(lookups.map((lookup) => run(lookup.args)));
  /** @type {Record<string, Map<string, string>>} */
  const inventory = kinds.includes("queue") ? { queue: new Map() } : {};
  lookups.forEach(({ kind, name, args }, i) => {
    const result = results[i] ?? { code: 1, stdout: "", stderr: "" };
    const step =
      name === undefined
        ? `Listing the account's ${KIND_NAMES[kind]}s`
        : `Looking for the ${KIND_NAMES[kind]} ${name}`;
    const found =
      name === undefined
        ? result.code === 0
          ? readInventory(kind, result.stdout)
          : undefined
        : readQueueInfo(name, result);
    if (found === undefined && result.code !== 0)
      throw failureOf(step, result, { args, accountId });
    if (found === undefined) {
      throw new StepFailure({
        step,
        reason: "unreadable",
        detail: wranglerError(result),
        hint: `setup could not read what \`wrangler ${args.join(" ")}\` printed: is node_modules up to date (\`npm install\`)?`,
      });
    }
    if (name === undefined) inventory[kind] = found;
    else if (found === "found") inventory.queue?.set(name, name);
  });
  return inventory;
}

async function create(run, { resource, accountId }) {
  const args = COMMANDS[resource.kind].create(resource.name);
  const result = await run(args);
  if (result.code !== 0) {
    throw failureOf(`Creating the ${KIND_NAMES[resource.kind]} ${resource.name}`, result, {
      args,
      accountId,
      resource,
    });
  }
  return true;
}

/** The secrets the Worker lacks, generated: none when it has them all. */
async function secretsToSet(run, { config, required, accountId, generate }) {
  const args = secretListArgs(config);
  const result = await run(args);
  let listed;
  if (result.code === 0) {
    listed = parseJsonOutput(result.stdout);
    if (!Array.isArray(listed)) throw failureOf("Listing the Worker's secrets", result, { args });
  } else if (!/Worker "[^"]*" not found|\[code: 10007\]/.test(plain(result.stderr))) {
    throw failureOf("Listing the Worker's secrets", result, { args, accountId });
  }
  return Object.fromEntries(missingSecrets(required, listed).map((name) => [name, generate()]));
}
