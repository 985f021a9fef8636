/** A request that parses and fits its schema but cannot be scored as sent: answered with 400 (or as given). */
export class RequestError extends Error {
  override name = 'RequestError';
  readonly statusCode: number;

  constructor(message: string, statusCode = 400) {
    super(message);
    this.statusCode = statusCode;
  }
}
