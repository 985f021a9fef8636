import { STATUS_CODES } from 'node:http';

/** The JSON body of every error answer: `{statusCode, error, message}`. */
export function errorBody(statusCode: number, message: string) {
  return { statusCode, error: STATUS_CODES[statusCode] ?? 'Error', message };
}
