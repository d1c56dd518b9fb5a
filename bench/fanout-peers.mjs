/**
 * The Fedify peers' runs of the fan-out benchmark (bench/fanout.mjs), and what every sender's
 * run reports: the same audience and, with faults, the same hosts failing in the same way.
 */
import { faultModes, scoreRun, sleep } from "./farm.mjs";
import { FEDIFY_PEERS, startFedify } from "./senders.mjs";
import { startFedifyWorkerd } from "./senders-workerd.mjs";

/**
 * The fields a scenario and each of its peers report, from the farm's records. "Delivered by
 * T" is null for a T past the end of a run that ended (at its bound) before reaching everyone.
 */
export function common(score, { lost, queueMessages, waitedMs = null }) {
  const { undelivered: _, deliveredBy, ...rest } = score;
  const by = Object.fromEntries(
    Object.entries(deliveredBy).map(([t, n]) => [
      t,
      score.wallMs === null && waitedMs !== null && waitedMs < Number.parseInt(t, 10) * 1000
        ? null
        : n,
    ]),
  );
  return { ...rest, deliveredBy: by, lost, queueMessages, waitedMs };
}

/** The hosts that fail in the faults scenario, and how: the same for Outpost and every peer. */
export function faultsOf(farm) {
  const modeOf = faultModes(farm.hosts.length);
  const refusing = farm.hosts.map((_, i) => i).filter((i) => modeOf(i) === "refuse");
  return { modeOf, refusing };
}
export const REFUSE_MS = 20_000;

/**
 * Runs Fedify peers against the farm, side by side (each its own activity id; the farm's
 * faults are per activity or per time window, so each meets the same faults), until each
 * has reached every deliverable inbox (unless `fullWindow`) or `waitMs` has passed since it
 * started; then stops
 * them. Clean runs go one peer at a time, so that they do not share the CPU.
 */
async function runPeers(farm, followers, options) {
  const { names, modeOf, refusing, waitMs, tag, fullWindow = false } = options;
  farm.reset(modeOf);
  const refuse = () => {
    if (refusing.length > 0) farm.refuseFor(refusing, REFUSE_MS);
  };
  // The Worker peer runs alone, and the hosts begin refusing once it has started (as it
  // sends), so that they refuse it for as long as the others.
  const start = (name) => {
    const activityId = `http://127.0.0.1:1/activities/${tag}-${name}`;
    return FEDIFY_PEERS[name] === "workerd"
      ? startFedifyWorkerd(followers, { activityId, profile: tag === "clean", beforeSend: refuse })
      : startFedify(followers, { workers: FEDIFY_PEERS[name], activityId });
  };
  if (!names.some((name) => FEDIFY_PEERS[name] === "workerd")) refuse();
  const runs = await Promise.all(names.map(start));
  const done = new Map();
  while (done.size < runs.length) {
    for (const [k, run] of runs.entries()) {
      if (done.has(k)) continue;
      const score = scoreRun(farm, followers, {
        activityId: run.activityId,
        started: run.started,
        modeOf,
      });
      const reached = score.undelivered.length === 0 && !fullWindow;
      if (reached || Date.now() - run.started > waitMs) {
        const waitedMs = Date.now() - run.started;
        await run.stop();
        done.set(k, { score, waitedMs });
      }
    }
    await sleep(100);
  }
  const result = {};
  for (const [k, run] of runs.entries()) {
    const { score, waitedMs } = done.get(k);
    const lost = score.undelivered.filter((inbox) => !run.waiting(inbox)).length;
    result[names[k]] = {
      ...common(score, { lost, queueMessages: run.queueMessages(), waitedMs }),
      ...run.extra(score.posts),
    };
  }
  return result;
}

export async function peersClean(farm, followers) {
  const peers = {};
  for (const name of Object.keys(FEDIFY_PEERS)) {
    Object.assign(
      peers,
      await runPeers(farm, followers, {
        names: [name],
        modeOf: () => "ok",
        refusing: [],
        waitMs: 300_000,
        tag: "clean",
      }),
    );
  }
  return peers;
}

/**
 * The peers' faults runs: those on Node side by side (or one after another, `apart`), then
 * the Worker alone (its runtime is a process of its own, which would share the two cores).
 */
export async function peersFaults(farm, followers, { waitMs, apart, fullWindow }) {
  const { modeOf, refusing } = faultsOf(farm);
  const all = Object.keys(FEDIFY_PEERS);
  const node = all.filter((name) => FEDIFY_PEERS[name] !== "workerd");
  const groups = apart ? all.map((name) => [name]) : [node, all.filter((n) => !node.includes(n))];
  const peers = {};
  for (const names of groups.filter((g) => g.length > 0)) {
    const options = { names, modeOf, refusing, waitMs, tag: "faults", fullWindow };
    Object.assign(peers, await runPeers(farm, followers, options));
  }
  return peers;
}
