/**
 * Server-wide admission limits, shared by every connection: connections in total and per API key,
 * messages per second per key (token bucket), and messages waiting across all connections.
 * Each limit is a plain counter on the event loop; nothing here is asynchronous.
 */

/** Why an upgrade was refused; the HTTP status and the `code` of the JSON body. */
export interface ConnectionRefusal {
  status: 429 | 503;
  code: "too_many_connections_for_key" | "server_at_capacity" | "shutting_down";
  message: string;
}

/**
 * Open connections, in total and per key identity. A key identity is an opaque label (never the
 * key itself); without API keys every client shares one identity.
 */
export class ConnectionLimiter {
  private total = 0;
  private readonly perKey = new Map<string, number>();

  /** `0` disables a limit. */
  constructor(
    private readonly maxTotal: number,
    private readonly maxPerKey: number,
  ) {}

  get open(): number {
    return this.total;
  }

  /** Why a new connection for `key` would be over a limit, or undefined when it fits. */
  check(key: string): ConnectionRefusal | undefined {
    if (this.maxTotal > 0 && this.total >= this.maxTotal) {
      return { status: 503, code: "server_at_capacity", message: `The server holds its maximum of ${this.maxTotal} connections. Retry later.` };
    }
    if (this.maxPerKey > 0 && (this.perKey.get(key) ?? 0) >= this.maxPerKey) {
      return { status: 429, code: "too_many_connections_for_key", message: `This API key already holds its maximum of ${this.maxPerKey} connections.` };
    }
    return undefined;
  }

  /** Counts a connection in; the returned function counts it out (idempotent). */
  acquire(key: string): () => void {
    this.total++;
    this.perKey.set(key, (this.perKey.get(key) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.total--;
      const left = (this.perKey.get(key) ?? 1) - 1;
      if (left > 0) this.perKey.set(key, left);
      else this.perKey.delete(key);
    };
  }
}

/**
 * Messages per second per key identity: a token bucket of `burst` tokens refilled at `rate` a
 * second, shared by all of the key's connections. `rate` 0 disables it. Buckets are kept per
 * identity; identities are the configured keys (plus one anonymous), so the map is bounded.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private readonly burst: number;

  constructor(
    private readonly rate: number,
    burst: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.burst = Math.max(1, burst || rate);
  }

  get enabled(): boolean {
    return this.rate > 0;
  }

  /** Takes one token for `key`; false when the key is over its rate (the message is refused). */
  take(key: string): boolean {
    if (!this.enabled) return true;
    const t = this.now();
    const bucket = this.buckets.get(key) ?? { tokens: this.burst, at: t };
    bucket.tokens = Math.min(this.burst, bucket.tokens + ((t - bucket.at) / 1000) * this.rate);
    bucket.at = t;
    this.buckets.set(key, bucket);
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }
}

/**
 * Messages accepted and not yet answered, across all connections (the global queue). Each
 * connection also has its own limit (Session's maxPending); this one bounds the sum, so many
 * connections each under their own limit cannot together queue without bound.
 */
export class GlobalQueue {
  private count = 0;

  /** `0` disables the limit. */
  constructor(private readonly max: number) {}

  get depth(): number {
    return this.count;
  }

  tryAcquire(): boolean {
    if (this.max > 0 && this.count >= this.max) return false;
    this.count++;
    return true;
  }

  release(): void {
    this.count--;
  }
}
