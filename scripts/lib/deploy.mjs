/**
 * `npm run deploy`: an upgrade. The deploy configuration is derived again from the current
 * wrangler.toml (keeping the origin, vars, account and ids setup wrote), refused if it would
 * deploy the development origin, then the remote migrations are applied and the Worker is
 * deployed. It creates nothing: a binding wrangler.toml gained is `npm run setup`'s to create.
 */
import { parseArgs } from "node:util";
import { readBaseConfig, readDeployConfig, writeDeployConfig } from "./config-files.mjs";
import {
  DEPLOY_CONFIG_FILE,
  deployProblems,
  deriveDeployConfig,
  missingIds,
  resourcesOf,
  settingsOf,
} from "./deploy-config.mjs";
import { renderFailure, StepFailure } from "./failures.mjs";
import { deployWorker, migrateRemote, reportLive } from "./steps.mjs";

export const DEPLOY_USAGE = `usage: npm run deploy

Applies the new D1 migrations to the remote database, then deploys the Worker with
${DEPLOY_CONFIG_FILE} (derived again from wrangler.toml). Run \`npm run setup\` once first.`;

/**
 * Runs the deploy; its exit status.
 *
 * @param {import("./setup.d.mts").SetupOptions} options
 */
export async function runDeploy(options) {
  const { io } = options;
  try {
    const { values } = parseArgs({ args: options.argv, options: { help: { type: "boolean" } } });
    if (values.help) {
      io.out(DEPLOY_USAGE);
      return 0;
    }
  } catch (error) {
    io.err(`${error instanceof Error ? error.message : error}\n\n${DEPLOY_USAGE}`);
    return 2;
  }
  try {
    await deploy(options);
    return 0;
  } catch (error) {
    if (!(error instanceof StepFailure)) throw error;
    io.err(renderFailure(error));
    return 1;
  }
}

async function deploy({ cwd, io, wrangler, fetch, liveCheck }) {
  const step = `Checking ${DEPLOY_CONFIG_FILE}`;
  const base = await readBaseConfig(cwd);
  const current = await readDeployConfig(cwd);
  if (current === undefined) {
    throw new StepFailure({
      step,
      reason: "notSetUp",
      hint: `There is no ${DEPLOY_CONFIG_FILE} here yet: run \`npm run setup\` first (it creates the resources, writes it and deploys).`,
    });
  }
  const settings = settingsOf(current);
  const config = deriveDeployConfig(base, settings);
  const problems = deployProblems(config);
  if (problems.length > 0) {
    throw new StepFailure({
      step,
      reason: "notDeployable",
      detail: problems.join("\n"),
      hint: `This would deploy an instance other servers cannot reach (it still has the development origin, ${base.vars?.PUBLIC_ORIGIN}, or a value the app refuses). Run \`npm run setup -- --origin https://your.domain --username you\`, or correct the vars in ${DEPLOY_CONFIG_FILE}; then \`npm run deploy\`.`,
    });
  }
  const absent = missingIds(config);
  if (absent.length > 0) {
    throw new StepFailure({
      step,
      reason: "missingResources",
      detail: `no id for: ${absent.join(", ")}`,
      hint: "wrangler.toml has bindings whose resources setup has not created yet (an upgrade added them): run `npm run setup`, which creates what is missing and deploys.",
    });
  }
  const file = writeDeployConfig(cwd, config);
  const origin = config.vars.PUBLIC_ORIGIN;
  const username = config.vars.OWNER_USERNAME;
  io.out(`Deploying @${username}@${new URL(origin).host} (${origin}) with ${file}`);
  const accountId = config.account_id;
  const resources = resourcesOf(base);
  const binding = resources.d1[0]?.binding ?? "DB";
  await migrateRemote(wrangler, { io, config: file, binding, accountId });
  const { workersDev } = await deployWorker(wrangler, { io, config: file, accountId });
  await reportLive(io, {
    origin,
    username,
    worker: resources.worker,
    workersDev,
    accountId,
    fetch,
    attempts: 3,
    ...liveCheck,
  });
}
