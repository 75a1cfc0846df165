/**
 * berth's one error module. The layer where a failure happens decides its class;
 * exactly one function (api/http-status.ts) maps a class to an HTTP status, and the
 * message is what a Docker client prints to the user, so it is worded like Docker's.
 */
export type ErrorCode =
  | 'NotFound'
  | 'Conflict'
  | 'InvalidParameter'
  | 'Unauthorized'
  | 'Forbidden'
  | 'Unavailable'
  | 'NotImplemented'
  | 'NotModified'
  | 'System';

export class BerthError extends Error {
  readonly code: ErrorCode = 'System';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

export class NotFoundError extends BerthError {
  override readonly code = 'NotFound' as const;
}
export class ConflictError extends BerthError {
  override readonly code = 'Conflict' as const;
}
export class InvalidParameterError extends BerthError {
  override readonly code = 'InvalidParameter' as const;
}
export class UnauthorizedError extends BerthError {
  override readonly code = 'Unauthorized' as const;
}
export class ForbiddenError extends BerthError {
  override readonly code = 'Forbidden' as const;
}
export class UnavailableError extends BerthError {
  override readonly code = 'Unavailable' as const;
}
export class NotImplementedError extends BerthError {
  override readonly code = 'NotImplemented' as const;
}
/** The operation was a no-op (start of a running container, stop of a stopped one). */
export class NotModifiedError extends BerthError {
  override readonly code = 'NotModified' as const;
}
export class SystemError extends BerthError {
  override readonly code = 'System' as const;
}

export function errorCode(err: unknown): ErrorCode {
  return err instanceof BerthError ? err.code : 'System';
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

/** Wraps a lower-level failure with context, keeping its class ("commit snapshot X: ..."). */
export function wrap(err: unknown, context: string): BerthError {
  const msg = `${context}: ${errorMessage(err)}`;
  if (err instanceof BerthError) {
    const Ctor = err.constructor as new (m: string, o?: { cause?: unknown }) => BerthError;
    return new Ctor(msg, { cause: err });
  }
  return new SystemError(msg, { cause: err });
}

/** True for a Node system error with the given errno code (ENOENT, EEXIST, ...). */
export function isErrno(err: unknown, code: string): boolean {
  return typeof err === 'object' && err !== null && (err as NodeJS.ErrnoException).code === code;
}
