import { errorCode, type ErrorCode } from '../lib/errors.js';

/** The one place an error class becomes an HTTP status (moby's errdefs mapping). */
const statusOf: Record<ErrorCode, number> = {
  NotFound: 404,
  Conflict: 409,
  InvalidParameter: 400,
  Unauthorized: 401,
  Forbidden: 403,
  Unavailable: 503,
  NotImplemented: 501,
  NotModified: 304,
  System: 500,
};

export function httpStatus(err: unknown): number {
  return statusOf[errorCode(err)];
}
