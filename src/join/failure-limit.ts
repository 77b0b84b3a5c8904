import { describeError, log } from "../lib/log";

/**
 * Counts one failed join against the source IP and returns true when the IP is over its limit
 * (JOIN_FAILURE_LIMITER in wrangler.toml). Only failures are counted, so a fleet joining from behind one
 * NAT is never limited by its successes. A limiter failure lets the request through.
 */
export async function isOverFailureLimit(limiter: RateLimit, ip: string | null): Promise<boolean> {
  try {
    const { success } = await limiter.limit({ key: ip ?? "unknown" });
    return !success;
  } catch (error) {
    log.warn("rate_limiter_failed", { error: describeError(error) });
    return false;
  }
}
