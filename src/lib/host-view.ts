import { toRfc3339 } from "./time";

export interface HostRecord {
  id: string;
  ophid: string | null;
  hostSerial: string;
  srcIp: string | null;
  createdAt: number;
  accountId: string;
  token: { id: string; name: string; tokenId: string };
}

/** Renders a host record in the shape of the Host Activation API's CSR object, state VERIFIED. */
export function hostView(host: HostRecord) {
  const createdAt = toRfc3339(host.createdAt);
  return {
    id: host.id,
    ophid: host.ophid,
    host_serial: host.hostSerial,
    account_id: host.accountId,
    join_token: { id: host.token.id, name: host.token.name, token_id: host.token.tokenId },
    src_ip: host.srcIp === null ? null : { value: host.srcIp },
    state: "VERIFIED",
    created_at: createdAt,
    updated_at: createdAt,
  };
}
