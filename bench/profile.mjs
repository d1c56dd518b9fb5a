/**
 * The Worker's own CPU, read from a V8 CPU profile of its isolate through `wrangler dev`'s
 * inspector (`--inspector-port`), rather than from the workerd process (which is mostly the
 * local simulator: queues, D1, the network). Every sample that is not idle is the isolate's
 * work: the Worker's handlers, its Durable Objects (same script, same isolate), and what it
 * calls natively on that thread (Web Crypto's signatures among them). Through the runtime's
 * own inspector (`runtimeInspector`), every isolate of the local runtime is profiled at once:
 * where the process's time goes, the Worker's and each simulator's.
 */
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync, readlinkSync } from "node:fs";

/** Connects to the isolate's inspector and starts sampling every `intervalUs` µs. */
export async function startProfile(inspectorPort, intervalUs = 1000) {
  const targets = await (await fetch(`http://127.0.0.1:${inspectorPort}/json`)).json();
  const target = targets.find((t) => t.webSocketDebuggerUrl) ?? targets[0];
  if (target?.webSocketDebuggerUrl === undefined) throw new Error("no inspector target");
  return profileTarget(target.webSocketDebuggerUrl, { port: inspectorPort, intervalUs });
}

/** Starts sampling one inspector target (a websocket URL); `stop` gives its profile. */
async function profileTarget(url, { port, intervalUs }) {
  // The inspector proxy takes local origins only (Node's WebSocket takes headers as undici's).
  const ws = new WebSocket(url, { headers: { Origin: `http://127.0.0.1:${port}` } });
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

/**
 * The local runtime's own inspector: the workerd process of `wrangler dev`'s group (`group`,
 * its process group) started with `--inspector-addr`, which lists every isolate it runs (the
 * Worker, and miniflare's simulators of D1, KV, the rate limiters...), where `wrangler dev`'s
 * inspector shows the Worker's alone. Found from `/proc` (Linux): its listening sockets in
 * the order it opened them, the first answering `/json/list`. Undefined when none is found.
 */
export async function runtimeInspector(group) {
  for (const { pid } of workerdProcesses(group)) {
    try {
      if (!readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("--inspector-addr")) continue;
      for (const port of listeningPorts(pid)) {
        const answer = await fetch(`http://127.0.0.1:${port}/json/list`, {
          signal: AbortSignal.timeout(1000),
        }).catch(() => undefined);
        const targets = answer?.ok ? await answer.json().catch(() => undefined) : undefined;
        if (Array.isArray(targets) && targets.some((t) => String(t.id).startsWith("core:user:"))) {
          return { pid: Number(pid), port };
        }
      }
    } catch {} // gone meanwhile, or not ours to read
  }
  return undefined;
}

/** A process's listening TCP ports, in the order of its file descriptors. */
function listeningPorts(pid) {
  const byInode = new Map();
  for (const line of readFileSync(`/proc/${pid}/net/tcp`, "utf8").split("\n").slice(1)) {
    const [, local, , state, , , , , , inode] = line.trim().split(/\s+/);
    if (state === "0A") byInode.set(inode, Number.parseInt(local.split(":")[1], 16));
  }
  return readdirSync(`/proc/${pid}/fd`)
    .map(Number)
    .sort((a, b) => a - b)
    .map((fd) => {
      try {
        return readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        return undefined; // closed meanwhile
      }
    })
    .map((link) => byInode.get(link?.match(/^socket:\[(\d+)\]$/)?.[1]))
    .filter((port) => port !== undefined);
}

/**
 * Samples the simulators' isolates that do a request's work (those `partOf` names; not the
 * idle rest, whose samplers would only add load); `stop` gives each one's profile. The
 * Worker's own is `startProfile`'s: `wrangler dev`'s inspector holds its one connection. An
 * isolate whose inspector does not answer within 5 s is left out.
 */
export async function startRuntimeProfiles(port, intervalUs = 1000) {
  const targets = await (await fetch(`http://127.0.0.1:${port}/json/list`)).json();
  const running = [];
  // One at a time: the runtime's inspector answers one connection's handshake after another.
  const simulators = targets.filter((t) => !["other", "the Worker"].includes(partOf(t.id)));
  for (const t of simulators) {
    const profile = await within(5000, profileTarget(t.webSocketDebuggerUrl, { port, intervalUs }));
    if (profile !== undefined) running.push({ id: t.id, profile });
  }
  return {
    async stop() {
      const done = [];
      for (const r of running) done.push([r.id, await within(5000, r.profile.stop())]);
      return new Map(done.filter(([, profile]) => profile !== undefined));
    },
  };
}

/** What `promise` gives within `ms`, else undefined. */
const within = (ms, promise) =>
  Promise.race([
    promise.catch(() => undefined),
    new Promise((resolve) => setTimeout(resolve, ms).unref()),
  ]);

/** Which part of the local runtime an isolate is (the simulators' entry workers with them). */
export function partOf(isolate) {
  if (isolate.startsWith("core:user:miniflare-observability")) return "wrangler's local traces";
  if (isolate === "core:user:dev-registry-proxy") return "other";
  if (isolate.startsWith("core:user:")) return "the Worker";
  if (isolate === "core:entry") return "miniflare's routing";
  return SIMULATORS[isolate.split(":")[0]] ?? "other";
}

/** The simulators' isolates by the first part of their names (`d1:db`, `d1:db:entry`...). */
const SIMULATORS = {
  d1: "D1 (simulated)",
  kv: "KV (simulated)",
  ratelimit: "rate limiters (simulated)",
  queues: "Queues (simulated)",
};

const IDLE = new Set(["(idle)"]);

/**
 * The runtime's own frames that a sender cannot do without: the POST (`fetch`, reading or
 * dropping its answer, its timeout's timer), V8's own work (`(program)`, the garbage
 * collector), and the JavaScript the runtime ships (the bindings' shims, its timers).
 */
const RUNTIME_NATIVES = new Set([
  "fetch",
  "cancel",
  "setTimeout",
  "clearTimeout",
  "timeout",
  "(program)",
  "(garbage collector)",
]);
const isRuntime = ({ functionName, url }) =>
  url.startsWith("cloudflare-internal:") ||
  url.startsWith("node-internal:") ||
  (url === "" && RUNTIME_NATIVES.has(functionName));

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
 * CPU time in a profile, in ms: the whole (every sample not idle), the self time of the
 * frames whose function is named `frame` (e.g. `sign`: Web Crypto's signature, run on the
 * isolate's thread), and the runtime's share (`isRuntime`, those frames aside): what is
 * left is the script's own code, the builtins it calls with it.
 */
export function cpuOf(profile, frames = [], intervalUs = 1000) {
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const byFrame = Object.fromEntries(frames.map((f) => [f, 0]));
  let busy = 0;
  let runtime = 0;
  profile.samples.forEach((nodeId, i) => {
    const frame = nodes.get(nodeId)?.callFrame ?? { functionName: "", url: "" };
    const name = frame.functionName;
    const us = sampleUs(profile, i, intervalUs);
    if (IDLE.has(name)) return;
    busy += us;
    if (name in byFrame) byFrame[name] += us;
    else if (isRuntime(frame)) runtime += us;
  });
  return {
    busyMs: busy / 1000,
    runtimeMs: runtime / 1000,
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

/**
 * Runs `work` while the runtime's isolates are profiled (with `runtime`, the runtime's
 * inspector; else as it is): each isolate's profile.
 */
export async function profiled(runtime, work) {
  if (runtime === undefined) return { done: await work(), profiles: undefined };
  const profiles = await startRuntimeProfiles(runtime.port);
  const done = await work();
  return { done, profiles: await profiles.stop() };
}

/**
 * Where the runtime's isolates spent their CPU, per unit of work (`count` of them), in ms:
 * the Worker's (`worker` ms, its own profile), each simulator's, and their sum. The rest of
 * the process's time is its C++ (HTTP, the calls between isolates), not read here: the
 * samplers add to it.
 */
export function whereTimeGoes(profiles, { worker, count }) {
  const parts = { "the Worker": worker };
  for (const [isolate, profile] of profiles) {
    const part = partOf(isolate);
    parts[part] = (parts[part] ?? 0) + cpuOf(profile).busyMs;
  }
  parts["all isolates"] = Object.values(parts).reduce((a, b) => a + b, 0);
  const per = (ms) => Number((ms / Math.max(1, count)).toFixed(2));
  return Object.fromEntries(Object.entries(parts).map(([part, ms]) => [part, per(ms)]));
}

/** Prints `whereTimeGoes`' parts, a column per kind of work (e.g. `{ "per activity": ... }`). */
export function printWhereTimeGoes(columns) {
  console.log("The local runtime's isolates' CPU (a V8 profile of each), ms:");
  const parts = Object.keys(Object.values(columns)[0] ?? {});
  const row = (part) =>
    Object.fromEntries(Object.entries(columns).map(([name, ms]) => [name, ms[part] ?? 0]));
  console.table(Object.fromEntries(parts.map((part) => [part, row(part)])));
}

/** The workerd processes of `wrangler dev`'s process group, each with its CPU time (ms). */
function workerdProcesses(group) {
  const tick = 1000 / Number(spawnSync("getconf", ["CLK_TCK"]).stdout.toString().trim() || 100);
  const found = [];
  for (const pid of readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (!stat.includes("(workerd") || Number(f[2]) !== group) continue;
      found.push({ pid: Number(pid), cpuMs: (Number(f[11]) + Number(f[12])) * tick });
    } catch {} // gone meanwhile
  }
  return found;
}

/** The CPU time (user + system, ms) of the workerd processes in `wrangler dev`'s group. */
export function workerdCpuMs(group) {
  return workerdProcesses(group).reduce((total, p) => total + p.cpuMs, 0);
}

/**
 * A sender's CPU per delivery, from its isolate's profile (`cpuOf(profile, ["sign"])`) over
 * a run of `posts` POSTs (the publishing and the fan-out included, spread over them): per
 * delivery, one signature's (Web Crypto's `sign`, one a POST in a clean run), and the largest
 * invocation's, estimated as a full one's deliveries (`perInvocation`) at that cost; and
 * a delivery's CPU in three parts: the signature, the runtime's (`isRuntime`), and the
 * sender's own code. `runtimeFloorRatio` is what a delivery would cost, in signatures, were
 * the sender's own code free: the least any sender doing the same I/O can reach here.
 */
export function isolateCpu(isolate, { posts, perInvocation }) {
  const { busyMs, runtimeMs } = isolate;
  const { sign } = isolate.frames;
  const per = (ms, digits = 3) => Number((ms / Math.max(1, posts)).toFixed(digits));
  const ratio = (ms, of) => Number((ms / Math.max(1e-9, of)).toFixed(2));
  return {
    cpuPerDelivery: {
      signature: per(sign),
      runtime: per(runtimeMs),
      ownCode: per(busyMs - sign - runtimeMs),
    },
    runtimeFloorRatio: ratio(sign + runtimeMs, sign),
    workerCpuMsPerDelivery: per(busyMs),
    maxInvocationCpuMs: per(busyMs * perInvocation, 1),
    signFloorMs: per(sign),
    signShare: ratio(sign, busyMs),
    isolateTop: isolate.top,
  };
}
