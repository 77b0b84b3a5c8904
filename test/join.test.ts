import { describe, expect, it } from "vitest";
import { call, createAccount, createToken, join } from "./helpers/client";

describe("join", () => {
  it("counts joins and records hosts", async () => {
    const { key } = await createAccount();
    const { token, joinToken } = await createToken(key);

    const first = await join(joinToken, { host_serial: "SN-A", ophid: "host-a" });
    const second = await join(joinToken, { host_serial: "SN-B", ophid: "host-b" });
    expect(first.status).toBe(201);
    expect(second.status).toBe(201);
    expect(first.json.result.state).toBe("VERIFIED");
    expect(first.json.result.join_token).toEqual({ id: token.id, name: token.name, token_id: token.token_id });

    const read = await call(`jointoken/${token.id}`, { key });
    expect(read.json.result.use_counter).toBe(2);
    expect(read.json.result.last_used_at).toBe(second.json.result.created_at);
  });
});
