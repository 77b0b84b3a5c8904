// Creates an account and its first API key, or another key for an existing account.
//   npm run account:create -- --name "Acme" [--remote]
//   npm run account:create -- --account <account id> [--key-name ci] [--remote]
// --local (the default) writes wrangler's local D1; --remote writes the deployed database named in wrangler.toml.
import { parseArgs } from "node:util";
import { createApiKey } from "./lib/wrangler.mjs";

const { values } = parseArgs({
  options: {
    name: { type: "string" },
    account: { type: "string" },
    "key-name": { type: "string", default: "default" },
    remote: { type: "boolean", default: false },
    local: { type: "boolean", default: false },
  },
});

if ((values.name === undefined) === (values.account === undefined)) {
  console.error("Pass either --name <account name> to create an account, or --account <account id> to add a key to one.");
  process.exit(2);
}
if (values.remote && values.local) {
  console.error("Pass --local or --remote, not both.");
  process.exit(2);
}

const target = values.remote ? "--remote" : "--local";
const { accountId, key } = createApiKey({ target, accountName: values.name, accountId: values.account, keyName: values["key-name"] });
console.log(`account id: ${accountId}`);
console.log(`API key:    ${key}`);
console.log("The key is shown only now: the database stores its SHA-256.");
