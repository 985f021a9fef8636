import { Type } from 'typebox';

export const Health = Type.Object({
  status: Type.String(),
  mode: Type.Optional(Type.String({ description: 'embedded or distributed' })),
  reason: Type.Optional(Type.String({ description: 'Why the service is not ready.' })),
});
