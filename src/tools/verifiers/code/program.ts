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
 * The program in a response and its language. With a `language` (a canonical name from `languageOf`;
 * a tag may be any of its aliases): the last fenced block tagged with it or untagged, else the last
 * fenced block, else the whole answer. Without one: the last fenced block in a language the sandbox
 * runs, else the last untagged one, in the language of its tag, or `fallback`.
 */
export function programOf(response: string, language: string | undefined, fallback = 'python'): { code: string; language: string } {
  const text = stripThinking(response);
  const blocks = fencedBlocks(text);
  const matching = blocks.filter((b) => (language === undefined ? languageOf(b.language) !== undefined : languageOf(b.language) === language) || b.language === '');
  const runnable = language === undefined ? blocks.filter((b) => languageOf(b.language) !== undefined) : [];
  const chosen = runnable[runnable.length - 1] ?? matching[matching.length - 1] ?? blocks[blocks.length - 1];
  const resolved = language ?? (chosen && languageOf(chosen.language)) ?? fallback;
  // Leading indentation is kept: a HumanEval completion continues the prompt's function body.
  return { code: chosen ? chosen.code : text.replace(/^\s*\n/, '').trimEnd(), language: resolved };
}
