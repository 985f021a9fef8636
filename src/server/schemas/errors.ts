import { Type } from 'typebox';

export const ErrorResponse = Type.Object(
  {
    statusCode: Type.Integer(),
    error: Type.String({ description: 'The HTTP status text.' }),
    message: Type.String({ description: 'What is wrong, naming the field or value.' }),
  },
  { title: 'Error' },
);

/** The error answers a route may give, for its OpenAPI entry. */
export function errorResponses<const Codes extends number[]>(...codes: Codes): { [C in Codes[number]]: typeof ErrorResponse } {
  return Object.fromEntries(codes.map((code) => [code, ErrorResponse])) as { [C in Codes[number]]: typeof ErrorResponse };
}
