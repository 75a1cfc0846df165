/**
 * Failures a Docker Engine API client can meet. The CLI prints them as the docker CLI
 * does: a daemon refusal as "Error response from daemon: <message>".
 */
export class ApiError extends Error {
  constructor(
    /** HTTP status of the daemon's answer (404, 409, ...). */
    readonly status: number,
    /** The daemon's own `message`, verbatim. */
    readonly daemonMessage: string,
  ) {
    super(`Error response from daemon: ${daemonMessage}`);
    this.name = 'ApiError';
  }

  get isNotFound(): boolean {
    return this.status === 404;
  }
}

/** The daemon's socket could not be reached at all. */
export class DaemonUnreachableError extends Error {
  constructor(
    readonly host: string,
    options?: { cause?: unknown },
  ) {
    super(`Cannot connect to the berth daemon at ${host}. Is the berth daemon running?`, options);
    this.name = 'DaemonUnreachableError';
  }
}

/** A host string the client cannot use (bad scheme, tcp:// not supported yet, ...). */
export class InvalidHostError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidHostError';
  }
}

/** Builds an ApiError from a refusal body: JSON `{"message": ...}` or plain text. */
export function apiErrorFromBody(status: number, body: string): ApiError {
  const text = body.trim();
  let message = text;
  try {
    const parsed = JSON.parse(text) as { message?: unknown };
    if (parsed && typeof parsed.message === 'string') message = parsed.message;
  } catch {
    /* plain text body */
  }
  if (!message) message = `${status} ${statusText(status)}`.trim();
  return new ApiError(status, message);
}

function statusText(status: number): string {
  const texts: Record<number, string> = {
    400: 'Bad Request',
    401: 'Unauthorized',
    403: 'Forbidden',
    404: 'Not Found',
    409: 'Conflict',
    500: 'Internal Server Error',
    501: 'Not Implemented',
    503: 'Service Unavailable',
  };
  return texts[status] ?? '';
}
