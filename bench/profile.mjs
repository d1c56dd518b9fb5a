/**
 * The Worker's own CPU, read from a V8 CPU profile of its isolate through `wrangler dev`'s
 * inspector (`--inspector-port`), rather than from the workerd process (which is mostly the
 * local simulator: queues, D1, the network). Every sample that is not idle is the isolate's
 * work: the Worker's handlers, its Durable Objects (same script, same isolate), and what it
 * calls natively on that thread (Web Crypto's signatures among them).
 */

/** Connects to the isolate's inspector and starts sampling every `intervalUs` µs. */
export async function startProfile(inspectorPort, intervalUs = 1000) {
  const targets = await (await fetch(`http://127.0.0.1:${inspectorPort}/json`)).json();
  const target = targets.find((t) => t.webSocketDebuggerUrl) ?? targets[0];
  if (target?.webSocketDebuggerUrl === undefined) throw new Error("no inspector target");
  // The inspector proxy takes local origins only (Node's WebSocket takes headers as undici's).
  const ws = new WebSocket(target.webSocketDebuggerUrl, {
    headers: { Origin: `http://127.0.0.1:${inspectorPort}` },
  });
  await new Promise((resolve, reject) => {
    ws.addEventListener("open", resolve, { once: true });
    ws.addEventListener("error", reject, { once: true });
  });
  let next = 0;
  const pending = new Map();
  ws.addEventListener("message", (event) => {
    const message = JSON.parse(String(event.data));
    pending.get(message.id)?.(message);
    pending.delete(message.id);
  });
  const send = (method, params = {}) =>
    new Promise((resolve) => {
      const id = ++next;
      pending.set(id, resolve);
      ws.send(JSON.stringify({ id, method, params }));
    });
  await send("Profiler.enable");
  await send("Profiler.setSamplingInterval", { interval: intervalUs });
  await send("Profiler.start");
  return {
    async stop() {
      const answer = await send("Profiler.stop");
      ws.close();
      if (answer.result?.profile === undefined) throw new Error("no profile");
      return answer.result.profile;
    },
  };
}

const IDLE = new Set(["(idle)"]);

/**
 * How much time one sample stands for, in µs. V8 takes samples only while the isolate's
 * thread is in V8; while workerd waits on I/O outside it, none are taken, and the next one's
 * delta spans the wait. A delta longer than twice the interval is that: counted as one
 * interval, not as CPU.
 */
const sampleUs = (profile, i, intervalUs) => {
  const delta = profile.timeDeltas[i + 1] ?? 0;
  return delta > 2 * intervalUs ? intervalUs : delta;
};

/**
 * CPU time in a profile, in ms: the whole (every sample not idle), and the self time of the
 * frames whose function is named `frame` (e.g. `sign`: Web Crypto's signature, run on the
 * isolate's thread).
 */
export function cpuOf(profile, frames = [], intervalUs = 1000) {
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const byFrame = Object.fromEntries(frames.map((f) => [f, 0]));
  let busy = 0;
  profile.samples.forEach((nodeId, i) => {
    const node = nodes.get(nodeId);
    const name = node?.callFrame.functionName ?? "";
    const us = sampleUs(profile, i, intervalUs);
    if (IDLE.has(name)) return;
    busy += us;
    if (name in byFrame) byFrame[name] += us;
  });
  return {
    busyMs: busy / 1000,
    frames: Object.fromEntries(Object.entries(byFrame).map(([f, us]) => [f, us / 1000])),
    top: topFrames(profile, nodes, intervalUs),
  };
}

/** The ten frames with the most self time, for a reader who wants to know where it goes. */
function topFrames(profile, nodes, intervalUs) {
  const self = new Map();
  profile.samples.forEach((nodeId, i) => {
    const frame = nodes.get(nodeId)?.callFrame;
    const key = `${frame?.functionName || "(anonymous)"} ${frame?.url?.split("/").pop() ?? ""}`;
    self.set(key, (self.get(key) ?? 0) + sampleUs(profile, i, intervalUs));
  });
  return [...self]
    .filter(([k]) => !k.startsWith("(idle)"))
    .sort((a, b) => b[1] - a[1])
    .slice(0, 10)
    .map(([frame, us]) => ({ frame, ms: Number((us / 1000).toFixed(1)) }));
}
