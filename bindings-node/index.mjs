// ESM entry: the same classes as the CommonJS entry (one module instance, so `instanceof` agrees).
import paragon from './index.js'

export const {
  Paragon,
  signUserToken,
  ParagonError,
  ConfigurationError,
  InvalidRequestError,
  ConnectionError,
  TimeoutError,
  DecodeError,
  APIStatusError,
  BadRequestError,
  AuthenticationError,
  PermissionDeniedError,
  NotFoundError,
  PaginationError,
  ConflictError,
  UnprocessableEntityError,
  RateLimitError,
  InternalServerError,
  version,
} = paragon
export default paragon
