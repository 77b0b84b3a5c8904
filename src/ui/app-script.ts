// The admin page's script, served as /admin/app.js: plain browser JavaScript kept in a string, with
// no build step. It must contain no backtick and no dollar-brace, and no string, regular expression
// or comment that spans lines, because APP_SCRIPT drops indentation, comment lines and blank lines.
// It builds every element with createElement and textContent, never innerHTML. The API key is kept
// in sessionStorage only. A created token string exists only in the page's DOM until it is
// dismissed, and in no storage.

const SOURCE = String.raw`"use strict";
const API = "/host-activation/v1";
const KEY = "join-tokens.api-key";
const STATUS = { ACTIVE: "Active", EXPIRED: "Expired", REVOKED: "Revoked" };
const zones = new Intl.DateTimeFormat(undefined, { timeZoneName: "short" });
const $ = (id) => document.getElementById(id);
const rows = new Map();
let nextPage = null;

function el(tag, attributes, children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (name === "text") node.textContent = value;
    else node.setAttribute(name, value);
  }
  if (children) node.append(...children);
  return node;
}

const two = (n) => String(n).padStart(2, "0");
const plural = (n, word) => n + " " + word + (n === 1 ? "" : "s");
const pageQuery = (pageToken) => "?_limit=50" + (pageToken ? "&_page_token=" + encodeURIComponent(pageToken) : "");
const say = (id, text) => ($(id).textContent = text);

// mm/dd/yy hh:mm:ss and the zone abbreviation, in the browser's time zone.
function formatTime(iso) {
  if (!iso) return "Never";
  const d = new Date(iso);
  const zone = zones.formatToParts(d).find((part) => part.type === "timeZoneName");
  const date = [d.getMonth() + 1, d.getDate(), d.getFullYear() % 100].map(two).join("/");
  const time = [d.getHours(), d.getMinutes(), d.getSeconds()].map(two).join(":");
  return date + " " + time + (zone ? " " + zone.value : "");
}

// Resolves to the response's JSON. Rejects with an Error that carries status, field and request_id.
async function api(method, path, body) {
  const key = sessionStorage.getItem(KEY);
  const init = { method, headers: { authorization: "Bearer " + key }, cache: "no-store" };
  if (body) {
    init.headers["content-type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const response = key ? await fetch(API + path, init).catch(() => null) : { status: 401 };
  if (!response) throw new Error("The service could not be reached. Check the connection and try again.");
  if (response.status === 401) {
    askForKey(key ? "The API key was rejected because it is unknown or revoked. Enter a valid key." : "Enter an API key.");
    throw Object.assign(new Error(""), { status: 401 });
  }
  const json = await response.json().catch(() => null);
  if (!response.ok) {
    throw Object.assign(new Error("The request failed with HTTP status " + response.status + "."), json && json.error, { status: response.status });
  }
  return json;
}

function showAlert(text) {
  say("alert", text);
  $("alert").hidden = !text;
}

function fieldError(form, name, message) {
  const input = form.elements.namedItem(name);
  input.setAttribute("aria-invalid", "true");
  say("err-" + name, message);
  input.focus();
}

// Shows an API error next to the form field it names, or else at the top of the page.
function report(error, form) {
  if (error.status === 401) return;
  if (form && error.field && form.elements.namedItem(error.field)) fieldError(form, error.field, error.message);
  else showAlert(error.message + (error.request_id ? " (request id " + error.request_id + ")" : ""));
}

function clearRows() {
  $("rows").replaceChildren();
  rows.clear();
  nextPage = null;
}

function askForKey(message) {
  sessionStorage.removeItem(KEY);
  hideSecret();
  showAlert("");
  clearRows();
  $("app").hidden = $("forget").hidden = true;
  $("key-section").hidden = false;
  say("key-error", message);
  $("api-key").setAttribute("aria-invalid", String(Boolean(message)));
  $("api-key").focus();
}

function showApp() {
  $("key-section").hidden = true;
  $("app").hidden = $("forget").hidden = false;
  loadTokens(true);
}

function useKey(event) {
  event.preventDefault();
  const key = $("api-key").value.trim();
  if (!key) return askForKey("Enter an API key.");
  sessionStorage.setItem(KEY, key);
  $("api-key").value = "";
  showApp();
  $("f-name").focus();
}

async function loadTokens(reset) {
  const button = $(reset ? "reload" : "more");
  button.disabled = true;
  try {
    const data = await api("GET", "/jointoken" + pageQuery(reset ? null : nextPage));
    if (reset) clearRows();
    data.results.forEach(addToken);
    nextPage = data.page.page_token || null;
    $("more").hidden = !nextPage;
    $("empty").hidden = rows.size > 0;
  } catch (error) {
    report(error);
  }
  button.disabled = false;
}

function addToken(token) {
  if (rows.has(token.id)) return fillRow(Object.assign(rows.get(token.id), { token }));
  const row = { token };
  const detailId = "hosts-" + token.id;
  row.name = el("th", { scope: "row" });
  row.status = el("td", { "data-label": "Status" });
  row.count = el("td", { "data-label": "Count", class: "nums" });
  row.last = el("td", { "data-label": "Last used", class: "nums" });
  row.description = el("td", { "data-label": "Description" });
  row.hostsButton = el("button", { type: "button", class: "plain", "aria-expanded": "false", "aria-controls": detailId, "aria-label": "Hosts for " + token.name, text: "Hosts" });
  row.revokeButton = el("button", { type: "button", class: "danger", "aria-label": "Revoke " + token.name, text: "Revoke" });
  row.hostsButton.addEventListener("click", () => toggleHosts(row));
  row.revokeButton.addEventListener("click", () => revoke(row));
  const actions = el("td", {}, [el("div", { class: "row" }, [row.hostsButton, row.revokeButton])]);
  row.detailCell = el("td", { colspan: "6" });
  row.detail = el("tr", { id: detailId, class: "detail", hidden: "" }, [row.detailCell]);
  $("rows").append(el("tr", { "data-id": token.id }, [row.name, row.status, row.count, row.last, row.description, actions]), row.detail);
  rows.set(token.id, row);
  fillRow(row);
}

function fillRow(row) {
  const token = row.token;
  const meta = [];
  if (token.expires_at) meta.push((Date.parse(token.expires_at) > Date.now() ? "expires " : "expired ") + formatTime(token.expires_at));
  if (token.use_limit !== null) meta.push("limit " + plural(token.use_limit, "use"));
  row.name.replaceChildren(token.name);
  if (meta.length) row.name.append(el("p", { class: "hint", text: meta.join(", ") }));
  row.status.replaceChildren(STATUS[token.status] || token.status);
  if (token.rejected_attempts > 0) row.status.append(el("p", { class: "hint warn", text: plural(token.rejected_attempts, "rejected attempt") }));
  row.count.textContent = String(token.use_counter);
  row.last.textContent = formatTime(token.last_used_at);
  row.description.textContent = token.description;
  row.revokeButton.hidden = token.status === "REVOKED";
}

async function toggleHosts(row) {
  const open = row.hostsButton.getAttribute("aria-expanded") !== "true";
  row.hostsButton.setAttribute("aria-expanded", String(open));
  row.detail.hidden = !open;
  if (!open) return;
  row.detailCell.replaceChildren(el("p", { text: "Loading hosts..." }));
  const path = "/jointoken/" + row.token.id;
  try {
    const [token, hosts] = await Promise.all([api("GET", path), api("GET", path + "/hosts" + pageQuery())]);
    row.token = token.result;
    fillRow(row);
    showHosts(row, hosts);
  } catch (error) {
    row.detailCell.replaceChildren(el("p", { class: "error", text: error.message }));
  }
}

function showHosts(row, hosts) {
  const token = row.token;
  const parts = [];
  if (token.rejected_attempts > 0) {
    const last = formatTime(token.last_rejected_at) + " from " + (token.last_rejected_ip || "an unknown address");
    parts.push(el("p", { class: "warn", text: plural(token.rejected_attempts, "join attempt") + " rejected after this token was revoked or expired, the last at " + last + ". Someone else may hold the token string." }));
  }
  const headings = ["Host serial", "OPHID", "Source IP", "Joined"].map((text) => el("th", { scope: "col", text }));
  row.hostRows = el("tbody");
  row.moreHosts = el("button", { type: "button", class: "plain", text: "Load more hosts" });
  row.moreHosts.addEventListener("click", () => loadMoreHosts(row));
  const caption = el("caption", { class: "hint", text: "Servers that joined with " + token.name + ", newest first" });
  parts.push(el("table", {}, [caption, el("thead", {}, [el("tr", {}, headings)]), row.hostRows]), el("p", {}, [row.moreHosts]));
  row.detailCell.replaceChildren(...parts);
  addHosts(row, hosts);
  if (!hosts.results.length) row.hostRows.append(el("tr", {}, [el("td", { colspan: "4", text: "No server has joined with this token." })]));
}

function addHosts(row, hosts) {
  for (const host of hosts.results) {
    const cells = [host.host_serial, host.ophid || "", host.src_ip ? host.src_ip.value : "", formatTime(host.created_at)];
    row.hostRows.append(el("tr", {}, cells.map((text) => el("td", { text }))));
  }
  row.hostsPage = hosts.page.page_token || null;
  row.moreHosts.hidden = !row.hostsPage;
}

async function loadMoreHosts(row) {
  row.moreHosts.disabled = true;
  try {
    addHosts(row, await api("GET", "/jointoken/" + row.token.id + "/hosts" + pageQuery(row.hostsPage)));
  } catch (error) {
    report(error);
  }
  row.moreHosts.disabled = false;
}

async function revoke(row) {
  const name = "\u201c" + row.token.name + "\u201d";
  if (!confirm("Revoke the join token " + name + "? No new server can join with it; servers that already joined keep working. This cannot be undone.")) return;
  row.revokeButton.disabled = true;
  try {
    await api("DELETE", "/jointoken/" + row.token.id);
    row.token = (await api("GET", "/jointoken/" + row.token.id)).result;
    fillRow(row);
    row.hostsButton.focus();
    say("status", "Revoked " + name + ".");
  } catch (error) {
    report(error);
  }
  row.revokeButton.disabled = false;
}

// Returns the create request's body, or null after marking the first invalid field.
function readCreateForm(form) {
  const fields = form.elements;
  const body = { name: fields.name.value.trim() };
  const fail = (name, message) => {
    fieldError(form, name, message);
    return null;
  };
  if (!body.name) return fail("name", "Enter a name for the token.");
  if (fields.description.value.trim()) body.description = fields.description.value.trim();
  if (fields.expires_at.value) {
    // A datetime-local value has no zone, so Date reads it as the browser's local time.
    const at = new Date(fields.expires_at.value);
    if (Number.isNaN(at.getTime())) return fail("expires_at", "Enter a complete date and time.");
    body.expires_at = at.toISOString();
  }
  const limit = fields.use_limit.value;
  if (limit || fields.use_limit.validity.badInput) {
    if (!/^[0-9]+$/.test(limit) || Number(limit) < 1) return fail("use_limit", "Enter a whole number of 1 or more, or leave it empty for no limit.");
    body.use_limit = Number(limit);
  }
  return body;
}

async function createToken(event) {
  event.preventDefault();
  const form = event.target;
  for (const input of form.querySelectorAll("[aria-invalid]")) input.removeAttribute("aria-invalid");
  for (const message of form.querySelectorAll(".error")) message.textContent = "";
  showAlert("");
  const body = readCreateForm(form);
  if (!body) return;
  $("create").disabled = true;
  try {
    const created = await api("POST", "/jointoken", body);
    form.reset();
    showSecret(created.result.name, created.join_token);
    // While later pages are unloaded, the new token, last in creation order, arrives with the last page.
    if (!nextPage) addToken(created.result);
    $("empty").hidden = rows.size > 0;
  } catch (error) {
    report(error, form);
  }
  $("create").disabled = false;
}

function showSecret(name, token) {
  say("secret-title", "Token \u201c" + name + "\u201d created");
  say("copy-status", "");
  $("secret-value").value = token;
  $("secret").hidden = false;
  $("secret-value").focus();
  $("secret-value").select();
}

function hideSecret() {
  $("secret-value").value = "";
  say("copy-status", "");
  $("secret").hidden = true;
}

async function copySecret() {
  const input = $("secret-value");
  let copied = true;
  try {
    await navigator.clipboard.writeText(input.value);
  } catch {
    input.select();
    copied = document.execCommand("copy");
  }
  say("copy-status", copied ? "Copied." : "Copying failed: select the token and copy it by hand.");
}

$("key-form").addEventListener("submit", useKey);
$("forget").addEventListener("click", () => askForKey(""));
$("create-form").addEventListener("submit", createToken);
$("create-form").addEventListener("input", (event) => {
  event.target.removeAttribute("aria-invalid");
  say("err-" + event.target.name, "");
});
$("copy").addEventListener("click", copySecret);
$("dismiss").addEventListener("click", () => {
  hideSecret();
  $("f-name").focus();
});
$("reload").addEventListener("click", () => loadTokens(true));
$("more").addEventListener("click", () => loadTokens(false));

if (sessionStorage.getItem(KEY)) showApp();
else askForKey("");
`;

/** The script as served: SOURCE without indentation, whole-line comments and blank lines. */
export const APP_SCRIPT = SOURCE.replace(/^[ \t]+/gm, "").replace(/^(\/\/.*)?\n/gm, "");
