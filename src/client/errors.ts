/**
 * Errors the client throws. Server error replies become `ExpressionError` (the connection stays
 * usable); everything about the connection itself is a `ConnectionError`, with
 * `AuthenticationError` split out because a wrong key is the one failure retrying never fixes.
 */

/** The server answered a message with an error reply (`{error, code}`), e.g. E0102. */
export class ExpressionError extends Error {
  override readonly name = "ExpressionError";
  constructor(
    /** Protocol error code, e.g. "E0102". */
    readonly code: string,
    message: string,
    /** The payload_id of the request that failed. */
    readonly payloadId: string | undefined,
  ) {
    super(message);
  }
}

/** Connecting failed, or the connection closed before a reply arrived. */
export class ConnectionError extends Error {
  override name = "ConnectionError";
  constructor(
    message: string,
    /** WebSocket close code, when the connection closed. */
    readonly closeCode?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The server refused the API key at the handshake (HTTP 401). */
export class AuthenticationError extends ConnectionError {
  override name = "AuthenticationError";
  constructor(message: string) {
    super(message);
  }
}

/** No reply arrived within `timeoutMs`. */
export class TimeoutError extends Error {
  override readonly name = "TimeoutError";
}

/** The server broke the protocol (a reply out of order, not JSON, or of the wrong shape). */
export class ProtocolViolationError extends Error {
  override readonly name = "ProtocolViolationError";
}
