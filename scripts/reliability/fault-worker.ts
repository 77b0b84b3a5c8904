// The real app behind fault-injecting D1 and KV bindings, for the reliability suite only
// (scripts/reliability/wrangler.toml). Each request picks its faults with these headers:
// - x-fault: d1, kv or d1,kv names the bindings that fail.
// - x-fault-rate: 0 to 1 is the probability that each call to them fails (default 1).
// - x-fault-when: before, after or mixed (default before). With before, the call never reaches the
//   binding. With after, the call completes (a write commits) and the Worker still gets an error, as
//   when a reply is lost. With mixed, each fault is one or the other at even odds.
// - x-fault-skip: N lets the first N calls pass (default 0), so that a fault can land past the API
//   key lookup.
// The response carries `x-fault-injected: d1-before=N,d1-after=N,kv-before=N,kv-after=N`. It counts
// only the faults injected before the response was built, not those in work left to waitUntil.
import app from "../../src/index";

type Binding = "d1" | "kv";
type When = "before" | "after";

class FaultPlan {
  readonly injected = new Map<string, number>([
    ["d1-before", 0],
    ["d1-after", 0],
    ["kv-before", 0],
    ["kv-after", 0],
  ]);

  constructor(
    private readonly bindings: Set<Binding>,
    private readonly rate: number,
    private readonly when: When | "mixed",
    private skip: number,
  ) {}

  static fromHeaders(headers: Headers): FaultPlan | null {
    const bindings = new Set(
      (headers.get("x-fault") ?? "")
        .split(",")
        .map((part) => part.trim().toLowerCase())
        .filter((part): part is Binding => part === "d1" || part === "kv"),
    );
    if (bindings.size === 0) return null;
    const rate = Number(headers.get("x-fault-rate") ?? "1");
    const when = headers.get("x-fault-when") ?? "before";
    const skip = Number(headers.get("x-fault-skip") ?? "0");
    return new FaultPlan(
      bindings,
      Number.isFinite(rate) ? Math.min(Math.max(rate, 0), 1) : 1,
      when === "after" || when === "mixed" ? when : "before",
      Number.isSafeInteger(skip) && skip > 0 ? skip : 0,
    );
  }

  applies(binding: Binding): boolean {
    return this.bindings.has(binding);
  }

  /** Runs one binding call, and with the plan's probability fails it before or after it runs. */
  async around<T>(binding: Binding, call: () => Promise<T>): Promise<T> {
    const when = this.roll();
    if (when === "before") {
      this.count(binding, when);
      throw new Error(`${binding.toUpperCase()}_ERROR: fault injected before the call`);
    }
    const result = await call();
    if (when === "after") {
      this.count(binding, when);
      throw new Error(`${binding.toUpperCase()}_ERROR: fault injected after the call completed`);
    }
    return result;
  }

  header(): string {
    return [...this.injected].map(([name, count]) => `${name}=${count}`).join(",");
  }

  private roll(): When | null {
    if (this.skip > 0) {
      this.skip -= 1;
      return null;
    }
    if (Math.random() >= this.rate) return null;
    if (this.when !== "mixed") return this.when;
    return Math.random() < 0.5 ? "before" : "after";
  }

  private count(binding: Binding, when: When): void {
    const name = `${binding}-${when}`;
    this.injected.set(name, (this.injected.get(name) ?? 0) + 1);
  }
}

type AnyFunction = (...args: unknown[]) => unknown;

/** Calls `target[prop]` with `target` as `this`, whatever wraps it. */
function passThrough(target: object, prop: string | symbol): unknown {
  const value: unknown = Reflect.get(target, prop, target);
  return typeof value === "function" ? (value as AnyFunction).bind(target) : value;
}

const STATEMENT_CALLS = new Set(["first", "run", "all", "raw"]);
const D1_CALLS = new Set(["exec", "dump"]);
const KV_CALLS = new Set(["get", "getWithMetadata", "put", "delete", "list"]);

function faultyD1(db: D1Database, plan: FaultPlan): D1Database {
  // batch() needs the binding's own statement objects, so each wrapper remembers the one it wraps.
  const unwrapped = new WeakMap<object, D1PreparedStatement>();
  const wrapStatement = (statement: D1PreparedStatement): D1PreparedStatement => {
    const wrapper = new Proxy(statement, {
      get(target, prop) {
        if (prop === "bind") return (...values: unknown[]) => wrapStatement(target.bind(...values));
        if (typeof prop === "string" && STATEMENT_CALLS.has(prop)) {
          const method = passThrough(target, prop) as AnyFunction;
          return (...args: unknown[]) => plan.around("d1", async () => method(...args));
        }
        return passThrough(target, prop);
      },
    });
    unwrapped.set(wrapper, statement);
    return wrapper;
  };

  return new Proxy(db, {
    get(target, prop) {
      if (prop === "prepare") return (query: string) => wrapStatement(target.prepare(query));
      if (prop === "batch") {
        return (statements: D1PreparedStatement[]) =>
          plan.around("d1", () => target.batch(statements.map((statement) => unwrapped.get(statement) ?? statement)));
      }
      if (typeof prop === "string" && D1_CALLS.has(prop)) {
        const method = passThrough(target, prop) as AnyFunction;
        return (...args: unknown[]) => plan.around("d1", async () => method(...args));
      }
      return passThrough(target, prop);
    },
  });
}

function faultyKv(kv: KVNamespace, plan: FaultPlan): KVNamespace {
  return new Proxy(kv, {
    get(target, prop) {
      if (typeof prop === "string" && KV_CALLS.has(prop)) {
        const method = passThrough(target, prop) as AnyFunction;
        return (...args: unknown[]) => plan.around("kv", async () => method(...args));
      }
      return passThrough(target, prop);
    },
  });
}

export default {
  async fetch(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
    const plan = FaultPlan.fromHeaders(request.headers);
    if (plan === null) return app.fetch(request, env, ctx);

    const faultyEnv: Env = {
      ...env,
      DB: plan.applies("d1") ? faultyD1(env.DB, plan) : env.DB,
      REVOCATIONS: plan.applies("kv") ? faultyKv(env.REVOCATIONS, plan) : env.REVOCATIONS,
    };
    const response = await app.fetch(request, faultyEnv, ctx);
    const marked = new Response(response.body, response);
    marked.headers.set("x-fault-injected", plan.header());
    return marked;
  },
} satisfies ExportedHandler<Env>;
