/** The tables bench/fanout.mjs prints: one row per sender, Outpost first. */

export const seconds = (ms) => (ms === null || ms === undefined ? "—" : (ms / 1000).toFixed(1));

function row(r) {
  return {
    POSTs: r.posts,
    delivered: `${r.delivered}/${r.deliverable}`,
    lost: r.lost,
    dup: r.duplicates,
    "all s": seconds(r.wallMs),
    "healthy s": seconds(r.healthyWallMs),
    "by 60/150/300/600 s": Object.values(r.deliveredBy)
      .map((n) => n ?? "—")
      .join(" / "),
    "hung POSTs": r.hungHostPosts,
    "…until done": r.hungHostPostsUntilDone,
    "410 again": r.goneRepeats,
    "queue msgs": r.queueMessages,
    "waited s": seconds(r.waitedMs),
  };
}

export function printScenario(title, scenario) {
  console.log(`\n${title}`);
  const table = { Outpost: row(scenario) };
  for (const [name, peer] of Object.entries(scenario.peers)) table[name] = row(peer);
  console.table(table);
}

/** The Worker's CPU per delivery, in its parts, for the senders profiled (those with one). */
export function printCpu(senders) {
  const table = {};
  for (const [name, r] of Object.entries(senders)) {
    if (r?.cpuPerDelivery === undefined) continue;
    const { signature, runtime, ownCode } = r.cpuPerDelivery;
    table[name] = {
      "ms/delivery": r.workerCpuMsPerDelivery,
      signature,
      runtime,
      "own code": ownCode,
      "× signature": Number((r.workerCpuMsPerDelivery / signature).toFixed(2)),
      "× without own code": r.runtimeFloorRatio,
    };
  }
  if (Object.keys(table).length === 0) return;
  console.log("The Worker's CPU per delivery (a V8 profile of its isolate, the clean run), ms:");
  console.table(table);
}
