/** A request that parses and fits its schema but cannot be scored as sent: answered with 400. */
export class RequestError extends Error {
  readonly statusCode = 400;
  override name = 'RequestError';
}
