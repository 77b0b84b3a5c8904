// The suite's result rows and their Markdown table.

export class Report {
  rows = [];

  /** Adds one guarantee: `ok` defaults to measured === expected. */
  add(scenario, measured, expected, ok = measured === expected) {
    this.rows.push({ scenario, measured: String(measured), expected: String(expected), ok: Boolean(ok) });
  }

  /** Adds a row for a scenario that threw, so that the table still shows it. */
  addError(scenario, error) {
    this.add(scenario, `error: ${error instanceof Error ? error.message.split("\n")[0] : String(error)}`, "no error", false);
  }

  get failed() {
    return this.rows.filter((row) => !row.ok).length;
  }

  markdown() {
    const cell = (text) => text.replaceAll("|", "\\|").replaceAll("\n", " ");
    const lines = ["| scenario | measured | expected | ok |", "| --- | --- | --- | --- |"];
    for (const row of this.rows) lines.push(`| ${cell(row.scenario)} | ${cell(row.measured)} | ${cell(row.expected)} | ${row.ok ? "yes" : "**NO**"} |`);
    return lines.join("\n");
  }
}

/** Counts responses by status ("0" for no response), as "201×5, 403×95". */
export function statusSummary(responses) {
  const counts = new Map();
  for (const response of responses) counts.set(response.status, (counts.get(response.status) ?? 0) + 1);
  return [...counts].sort(([a], [b]) => a - b).map(([status, count]) => `${status}×${count}`).join(", ") || "none";
}

/** Responses that are 5xx other than 503, or that never arrived. */
export const serverFailures = (responses) => responses.filter((response) => response.status === 0 || (response.status >= 500 && response.status !== 503)).length;

/** 503 responses without a Retry-After header. */
export const unavailableWithoutRetryAfter = (responses) =>
  responses.filter((response) => response.status === 503 && !response.headers.has("retry-after")).length;
