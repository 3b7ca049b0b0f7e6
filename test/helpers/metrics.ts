/** Reading a server's Prometheus metrics in tests. */
import assert from "node:assert/strict";

/** The /metrics text; asserts it is served as Prometheus text. */
export async function scrape(url: string, headers: Record<string, string> = {}): Promise<string> {
  const res = await fetch(`${url}/metrics`, { headers });
  assert.equal(res.status, 200);
  assert.match(res.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
  return res.text();
}

/** The value of one series (`name{labels}` exactly as exported), or undefined when absent. */
export function series(text: string, name: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(name.length + 1));
}

/** One series' current value; asserts the server exports it. */
export async function metric(url: string, name: string): Promise<number> {
  const value = series(await scrape(url), name);
  assert.ok(value !== undefined, `${name} is exported`);
  return value;
}
