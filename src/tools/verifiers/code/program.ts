import { languageOf } from '../../../sandbox/program.ts';
import { stripThinking } from '../answer.ts';

/** A fenced code block: ```lang ... ``` */
interface Block {
  language: string;
  code: string;
}

/** The fenced blocks of a text, found with one forward scan (an unclosed fence ends the scan). */
function fencedBlocks(text: string): Block[] {
  const blocks: Block[] = [];
  let at = text.indexOf('```');
  while (at !== -1) {
    const lineEnd = text.indexOf('\n', at + 3);
    if (lineEnd === -1) break;
    const close = text.indexOf('```', lineEnd + 1);
    if (close === -1) break;
    blocks.push({ language: text.slice(at + 3, lineEnd).trim().toLowerCase(), code: text.slice(lineEnd + 1, close) });
    at = text.indexOf('```', close + 3);
  }
  return blocks;
}

/**
 * The program in a response: the last fenced block tagged with `language` (a canonical name from
 * `languageOf`; the tag may be any of its aliases) or untagged, else the last fenced block, else the
 * whole answer.
 */
export function programOf(response: string, language: string): string {
  const text = stripThinking(response);
  const blocks = fencedBlocks(text);
  const matching = blocks.filter((b) => b.language === '' || languageOf(b.language) === language);
  const chosen = matching[matching.length - 1] ?? blocks[blocks.length - 1];
  // Leading indentation is kept: a HumanEval completion continues the prompt's function body.
  return chosen ? chosen.code : text.replace(/^\s*\n/, '').trimEnd();
}
