import { describe, expect, it } from "vitest";
import { uuidv7 } from "../../src/lib/ids";

const UUIDV7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

function timestampOf(id: string): number {
  return Number.parseInt(id.replaceAll("-", "").slice(0, 12), 16);
}

describe("uuidv7", () => {
  it("encodes the millisecond", () => {
    const id = uuidv7(1_800_000_000_123);
    expect(id).toMatch(UUIDV7);
    expect(timestampOf(id)).toBe(1_800_000_000_123);
  });

  it("increases within one millisecond", () => {
    const ids = Array.from({ length: 1000 }, () => uuidv7(1_900_000_000_000));
    for (const id of ids) expect(id).toMatch(UUIDV7);
    for (let i = 1; i < ids.length; i++) expect(ids[i]! > ids[i - 1]!).toBe(true);
    expect(new Set(ids).size).toBe(1000);
  });

  it("increases when the clock steps back", () => {
    const later = uuidv7(1_950_000_000_000);
    const earlier = uuidv7(1_949_999_999_000);
    expect(earlier > later).toBe(true);
    expect(timestampOf(earlier)).toBe(1_950_000_000_000);
  });
});
