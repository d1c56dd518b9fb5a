/**
 * The Fedify peers' runs of the fan-out benchmark (bench/fanout.mjs), and what every sender's
 * run reports: the same audience and, with faults, the same hosts failing in the same way.
 */
import { faultModes, scoreRun, sleep } from "./farm.mjs";
import { FEDIFY_PEERS, startFedify } from "./senders.mjs";

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
  if (refusing.length > 0) farm.refuseFor(refusing, REFUSE_MS);
  const runs = await Promise.all(
    names.map((name) =>
      startFedify(followers, {
        workers: FEDIFY_PEERS[name],
        activityId: `http://127.0.0.1:1/activities/${tag}-${name}`,
      }),
    ),
  );
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
        run.stop();
        done.set(k, { score, waitedMs: Date.now() - run.started });
      }
    }
    await sleep(100);
  }
  const result = {};
  for (const [k, run] of runs.entries()) {
    const { score, waitedMs } = done.get(k);
    const lost = score.undelivered.filter((inbox) => !run.waiting(inbox)).length;
    result[names[k]] = common(score, { lost, queueMessages: run.queueMessages(), waitedMs });
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

export async function peersFaults(farm, followers, { waitMs, apart, fullWindow }) {
  const { modeOf, refusing } = faultsOf(farm);
  const names = Object.keys(FEDIFY_PEERS);
  const options = { names, modeOf, refusing, waitMs, tag: "faults", fullWindow };
  if (!apart) return runPeers(farm, followers, options);
  const peers = {};
  for (const name of names)
    Object.assign(peers, await runPeers(farm, followers, { ...options, names: [name] }));
  return peers;
}
