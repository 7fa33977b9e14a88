// Fan-out: N WebSocket subscribers, U updates of one customer; every delivery's latency from the
// moment its update was sent to the moment the subscriber got it. The API side speaks
// graphql-transport-ws with raw `ws` sockets (lighter than graphql-ws clients: the bench client
// shares the machine with the server); the raw side is a bare `ws` server that broadcasts the
// very message strings the API delivered, on the same schedule.
import { performance } from "node:perf_hooks";
import WebSocket from "ws";
import { body, SUBSCRIBE, UPDATE } from "../queries";
import { RssSampler, sleep, type ApiServer, type RawServer } from "../processes";
import { percentile, type ScenarioResult, type Side } from "../report";

interface Subscriber {
  socket: WebSocket;
  /** Receipt times (performance.now()) of the messages of the measured phase. */
  received: number[];
  /** Messages of the warm-up, before the measured phase. */
  warm: number;
}

interface FanoutSide extends Side {
  delivered: number;
  expected: number;
  /** Send offsets (ms from the first send) of the updates. */
  schedule: number[];
}

const CONNECT_CONCURRENCY = 50;
const TARGET = 2;
const DELIVERY_TIMEOUT_MS = 120_000;

async function inBatches<T>(count: number, size: number, make: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  for (let start = 0; start < count; start += size) {
    out.push(...(await Promise.all(Array.from({ length: Math.min(size, count - start) }, (_, j) => make(start + j)))));
  }
  return out;
}

/** Opens a socket; with `handshake`, speaks graphql-transport-ws up to a started subscription. */
function connect(
  url: string,
  handshake: { authorization: string; customerId: string } | null,
  onMessage: (data: string, at: number) => void,
): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, handshake ? "graphql-transport-ws" : undefined, { perMessageDeflate: false });
    const fail = (error: unknown) => reject(error instanceof Error ? error : new Error(String(error)));
    socket.once("error", fail);
    socket.once("open", () => {
      if (!handshake) {
        socket.off("error", fail);
        resolve(socket);
        return;
      }
      socket.send(JSON.stringify({ type: "connection_init", payload: { authorization: handshake.authorization } }));
    });
    socket.on("message", (raw) => {
      const at = performance.now();
      const data = raw.toString();
      if (handshake && data.startsWith('{"type":"connection_ack"')) {
        socket.send(JSON.stringify({ id: "1", type: "subscribe", payload: { query: SUBSCRIBE, variables: { customerId: handshake.customerId } } }));
        socket.off("error", fail);
        resolve(socket);
        return;
      }
      onMessage(data, at);
    });
    socket.once("close", (code) => fail(new Error(`socket closed (${code}) before it was ready`)));
  });
}

async function until(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) return false;
    await sleep(5);
  }
  return true;
}

function measure(subscribers: Subscriber[], sentAt: number[], rss: number): Omit<FanoutSide, "schedule"> {
  const latencies: number[] = [];
  let last = sentAt[0];
  for (const s of subscribers) {
    s.received.forEach((at, k) => {
      if (k < sentAt.length) latencies.push(at - sentAt[k]);
      if (at > last) last = at;
    });
  }
  latencies.sort((a, b) => a - b);
  const delivered = latencies.length;
  return {
    throughput: delivered / ((last - sentAt[0]) / 1000),
    unit: "events/s",
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
    peakRssBytes: rss,
    delivered,
    expected: subscribers.length * sentAt.length,
  };
}

async function fanoutApi(options: {
  api: ApiServer;
  authorization: string;
  customerId: string;
  subscribers: number;
  updates: number;
  run: string;
}): Promise<{ side: FanoutSide; messages: string[] }> {
  const { api, authorization, customerId } = options;
  const subscribers: Subscriber[] = [];
  const messages: string[] = [];
  let measuring = false;
  const errors: string[] = [];
  const sockets = await inBatches(options.subscribers, CONNECT_CONCURRENCY, async (i) => {
    const s: Subscriber = { socket: null as unknown as WebSocket, received: [], warm: 0 };
    subscribers.push(s);
    s.socket = await connect(api.wsUrl, { authorization, customerId }, (data, at) => {
      if (!data.startsWith('{"id":"1","type":"next"')) {
        if (errors.length < 5) errors.push(data.slice(0, 500));
        return;
      }
      if (!measuring) {
        s.warm += 1;
        return;
      }
      s.received.push(at);
      if (i === 0) messages.push(data);
    });
    return s.socket;
  });

  const update = async (k: string) => {
    const res = await fetch(api.url, {
      method: "POST",
      headers: { "content-type": "application/json", authorization },
      body: body(UPDATE, { input: { id: customerId, nickname: `fanout-${options.run}-${k}` } }),
    });
    const json = (await res.json()) as { data?: { updateCustomer?: { userErrors: unknown[] } }; errors?: unknown };
    if (!json.data?.updateCustomer || json.data.updateCustomer.userErrors.length) throw new Error(`update failed: ${JSON.stringify(json)}`);
  };

  try {
    // Subscriptions start asynchronously after `subscribe`: one update that every subscriber
    // receives proves them all live, and warms the server up.
    await update("warm-up");
    if (!(await until(() => subscribers.every((s) => s.warm >= 1), 60_000))) {
      const live = subscribers.filter((s) => s.warm >= 1).length;
      throw new Error(`only ${live} of ${subscribers.length} subscribers got the warm-up event; ${errors.join(" | ")}`);
    }
    const rss = new RssSampler(api.pid).start();
    measuring = true;
    const sentAt: number[] = [];
    for (let k = 0; k < options.updates; k++) {
      sentAt.push(performance.now());
      await update(String(k));
    }
    await until(() => subscribers.every((s) => s.received.length >= options.updates), DELIVERY_TIMEOUT_MS);
    const result = measure(subscribers, sentAt, rss.stop());
    const schedule = sentAt.map((t) => t - sentAt[0]);
    return { side: { ...result, schedule, ...(errors.length ? { note: errors[0] } : {}) }, messages };
  } finally {
    for (const socket of sockets) socket.terminate();
  }
}

async function fanoutRaw(options: {
  raw: RawServer;
  subscribers: number;
  /** The API's messages, in order, and the offsets it sent their updates at. */
  messages: string[];
  schedule: number[];
}): Promise<FanoutSide> {
  const subscribers: Subscriber[] = [];
  let measuring = false;
  const sockets = await inBatches(options.subscribers, CONNECT_CONCURRENCY, async () => {
    const s: Subscriber = { socket: null as unknown as WebSocket, received: [], warm: 0 };
    subscribers.push(s);
    s.socket = await connect(options.raw.wsUrl, null, (_data, at) => {
      if (measuring) s.received.push(at);
      else s.warm += 1;
    });
    return s.socket;
  });
  const broadcast = async (message: string) => {
    const res = await fetch(options.raw.broadcastUrl, { method: "POST", body: message });
    if (res.status !== 204) throw new Error(`broadcast answered ${res.status}`);
  };
  try {
    await broadcast(options.messages[0]);
    if (!(await until(() => subscribers.every((s) => s.warm >= 1), 60_000))) throw new Error("raw subscribers missed the warm-up broadcast");
    const rss = new RssSampler(options.raw.pid).start();
    measuring = true;
    const sentAt: number[] = [];
    const start = performance.now();
    for (let k = 0; k < options.messages.length; k++) {
      const due = start + options.schedule[k];
      const wait = due - performance.now();
      if (wait > 1) await sleep(wait);
      sentAt.push(performance.now());
      await broadcast(options.messages[k]);
    }
    await until(() => subscribers.every((s) => s.received.length >= options.messages.length), DELIVERY_TIMEOUT_MS);
    const result = measure(subscribers, sentAt, rss.stop());
    return { ...result, schedule: options.schedule };
  } finally {
    for (const socket of sockets) socket.terminate();
  }
}

/** API first; then the raw server broadcasts what the API delivered, when the API's updates were sent. */
export async function fanoutScenario(options: {
  api: ApiServer;
  raw: RawServer;
  authorization: string;
  customerId: string;
  subscribers: number;
  updates: number;
  run: string;
}): Promise<ScenarioResult> {
  const { messages, side: api } = await fanoutApi(options);
  if (messages.length === 0) throw new Error("no event reached the first subscriber");
  const raw = await fanoutRaw({ raw: options.raw, subscribers: options.subscribers, messages, schedule: api.schedule.slice(0, messages.length) });
  const complete = api.delivered === api.expected && raw.delivered === raw.expected;
  const ratio = api.p99 !== null && raw.p99 ? api.p99 / raw.p99 : null;
  const strip = ({ schedule, ...side }: FanoutSide) => (void schedule, side);
  return {
    scenario: "fanout",
    api: strip(api),
    raw: strip(raw),
    ratio,
    ratioOf: "p99",
    target: `≤ ${TARGET}× (p99)`,
    pass: complete && ratio !== null ? ratio <= TARGET : false,
    subscribers: options.subscribers,
    updates: options.updates,
    ...(complete ? {} : { note: `delivered ${api.delivered}/${api.expected} (API), ${raw.delivered}/${raw.expected} (raw)` }),
  };
}
