// Child processes of the benchmark: the API as users run it (`node dist/src/index.js`), the raw
// baseline server, CLI commands; and their peak resident memory, read from /proc.
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";

/** The project root (dist/test/bench/ is three levels below it). */
export const ROOT = path.resolve(__dirname, "../../..");
export const DIST = path.join(ROOT, "dist");

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export interface Child {
  process: ChildProcess;
  pid: number;
  /** Resolves with the exit code once the process has exited. */
  exited: Promise<number | null>;
  stop(): Promise<void>;
}

function track(child: ChildProcess, name: string): Child {
  if (!child.pid) throw new Error(`${name} did not start`);
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return {
    process: child,
    pid: child.pid,
    exited,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGTERM");
      const done = await Promise.race([exited.then(() => true), sleep(10_000).then(() => false)]);
      if (!done) {
        child.kill("SIGKILL");
        await exited;
      }
    },
  };
}

async function waitUntilReady(url: string, child: Child, name: string, logFile: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  let exitCode: number | null | undefined;
  void child.exited.then((code) => (exitCode = code));
  while (Date.now() < deadline) {
    if (exitCode !== undefined) break;
    try {
      const res = await fetch(url);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  const log = fs.existsSync(logFile) ? fs.readFileSync(logFile, "utf8").split("\n").slice(-20).join("\n") : "";
  await child.stop();
  throw new Error(`${name} did not become ready at ${url} (exit code ${exitCode ?? "none"}):\n${log}`);
}

export interface ApiServer extends Child {
  url: string;
  wsUrl: string;
  logFile: string;
}

/**
 * Starts the API as users run it, with `env` on top of the caller's environment minus whatever
 * configures the server (so that a developer's shell settings do not skew the run).
 */
export async function startApi(options: { dir: string; name: string; env: Record<string, string> }): Promise<ApiServer> {
  const port = await freePort();
  const logFile = path.join(options.dir, `${options.name}.log`);
  const out = fs.openSync(logFile, "a");
  const env: Record<string, string> = { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", PORT: String(port), HOST: "127.0.0.1", ...options.env };
  const child = track(spawn(process.execPath, [...nodeFlags(options.name), path.join(DIST, "src/index.js")], { cwd: ROOT, env, stdio: ["ignore", out, out] }), options.name);
  fs.closeSync(out);
  const base = `http://127.0.0.1:${port}`;
  await waitUntilReady(`${base}/readyz`, child, options.name, logFile);
  return { ...child, url: `${base}/graphql`, wsUrl: `ws://127.0.0.1:${port}/graphql`, logFile };
}

/** Extra node flags for a child, from BENCH_NODE_FLAGS_<NAME> (e.g. --cpu-prof for profiling). */
function nodeFlags(name: string): string[] {
  const flags = process.env[`BENCH_NODE_FLAGS_${name.toUpperCase().replace(/[^A-Z0-9]/g, "_")}`];
  return flags ? flags.split(/\s+/).filter(Boolean) : [];
}

export interface RawServer extends Child {
  url: string;
  wsUrl: string;
  broadcastUrl: string;
}

export async function startRaw(options: { dir: string; database: string; extensions: Record<string, unknown> }): Promise<RawServer> {
  const port = await freePort();
  const logFile = path.join(options.dir, "raw.log");
  const out = fs.openSync(logFile, "a");
  const child = track(
    spawn(process.execPath, [...nodeFlags("raw"), path.join(__dirname, "raw/server.js")], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? "",
        RAW_DATABASE: options.database,
        RAW_PORT: String(port),
        RAW_EXTENSIONS: JSON.stringify(options.extensions),
        RAW_PUBLIC_URL: `http://127.0.0.1:${port}`,
      },
      stdio: ["ignore", out, out],
    }),
    "raw server",
  );
  fs.closeSync(out);
  const base = `http://127.0.0.1:${port}`;
  // Any answer means it listens; 404 is what a GET / gets.
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      await fetch(`${base}/`);
      break;
    } catch {
      if (Date.now() > deadline || child.process.exitCode !== null) {
        await child.stop();
        throw new Error(`raw server did not start:\n${fs.readFileSync(logFile, "utf8")}`);
      }
      await sleep(50);
    }
  }
  return { ...child, url: `${base}/graphql`, wsUrl: `ws://127.0.0.1:${port}/ws`, broadcastUrl: `${base}/broadcast` };
}

/** Runs a command to completion, its output appended to `logFile`; returns its exit code, wall time and output. */
export async function runToCompletion(
  args: string[],
  options: { env: Record<string, string>; logFile: string; onStart?: (pid: number) => void },
): Promise<{ code: number | null; seconds: number; output: string }> {
  const from = fs.existsSync(options.logFile) ? fs.statSync(options.logFile).size : 0;
  const out = fs.openSync(options.logFile, "a");
  const started = process.hrtime.bigint();
  const child = spawn(process.execPath, args, { cwd: ROOT, env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...options.env }, stdio: ["ignore", out, out] });
  fs.closeSync(out);
  if (child.pid) options.onStart?.(child.pid);
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", (c) => resolve(c));
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { code, seconds, output: fs.readFileSync(options.logFile).subarray(from).toString("utf8") };
}

function statusField(pid: number, field: "VmRSS" | "VmHWM"): number | null {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status);
    return match ? Number(match[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/**
 * Peak resident memory of a process over a phase: the kernel's high-water mark, reset at the
 * start of the phase where the kernel allows it (clear_refs 5), and samples every 50 ms.
 */
export class RssSampler {
  private peak = 0;
  private timer: NodeJS.Timeout | null = null;
  private hwmReset = false;

  constructor(private readonly pid: number) {}

  start(): this {
    try {
      fs.writeFileSync(`/proc/${this.pid}/clear_refs`, "5");
      this.hwmReset = true;
    } catch {
      this.hwmReset = false;
    }
    this.sample();
    this.timer = setInterval(() => this.sample(), 50);
    this.timer.unref();
    return this;
  }

  private sample(): void {
    const rss = statusField(this.pid, "VmRSS");
    if (rss !== null && rss > this.peak) this.peak = rss;
  }

  /** Peak RSS in bytes since start(). */
  stop(): number {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.sample();
    if (this.hwmReset) {
      const hwm = statusField(this.pid, "VmHWM");
      if (hwm !== null && hwm > this.peak) this.peak = hwm;
    }
    return this.peak;
  }
}

/** CPU time (clock ticks) of a process and its reaped children; 0 once it is gone. */
function processTicks(pid: number): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command (which may contain spaces) start at state, field 3.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]);
  } catch {
    return 0;
  }
}

function systemTicks(): { busy: number; total: number } | null {
  try {
    const [cpu] = fs.readFileSync("/proc/stat", "utf8").split("\n");
    const values = cpu.trim().split(/\s+/).slice(1).map(Number);
    const idle = values[3] + (values[4] ?? 0);
    const total = values.reduce((a, b) => a + b, 0);
    return { busy: total - idle, total };
  } catch {
    return null;
  }
}

const TICKS_PER_SECOND = 100;

/**
 * How much CPU other processes on the machine used while a phase ran, in percent of one core:
 * the benchmark shares the machine, and a busy neighbour makes its figures meaningless.
 */
export class ForeignCpu {
  private startSystem = systemTicks();
  private startOwn: number;
  private started = process.hrtime.bigint();

  constructor(private readonly pids: () => number[]) {
    this.startOwn = this.own();
  }

  private own(): number {
    return [process.pid, ...this.pids()].reduce((sum, pid) => sum + processTicks(pid), 0);
  }

  /** Percent of one core used by other processes since construction; null where /proc is missing. */
  stop(): number | null {
    const end = systemTicks();
    if (!end || !this.startSystem) return null;
    const seconds = Number(process.hrtime.bigint() - this.started) / 1e9;
    const foreign = end.busy - this.startSystem.busy - (this.own() - this.startOwn);
    return Math.max(0, (100 * foreign) / (seconds * TICKS_PER_SECOND));
  }
}

/**
 * Waits until other processes have used less than `percent` of a core for two windows in a row,
 * or `seconds` have passed. Returns the last window's figure.
 */
export async function waitForIdle(seconds: number, percent: number, log: (line: string) => void): Promise<number | null> {
  const deadline = Date.now() + seconds * 1000;
  let quiet = 0;
  let last: number | null = null;
  let told = false;
  while (quiet < 2 && Date.now() < deadline) {
    const window = new ForeignCpu(() => []);
    await sleep(2000);
    last = window.stop();
    if (last === null) return null;
    quiet = last < percent ? quiet + 1 : 0;
    if (quiet === 0 && !told) {
      log(`waiting for the machine to be idle: other processes use ${last.toFixed(0)}% of a core`);
      told = true;
    }
  }
  return last;
}
