import { Type } from 'typebox';
import { Toolset, ToolsetDeclaration } from '../../tools/toolset.ts';

export { Toolset, ToolsetDeclaration };

export const ToolsetList = Type.Object({ toolsets: Type.Array(Toolset) });

export const SignatureParam = Type.Object({ signature: Type.String({ pattern: '^[a-z0-9_.+-]{1,200}$' }) });
