import { afterAll, beforeAll, describe, it, expect } from 'vitest';
import { ToolInputError, type ScoringItem, type ToolDefinition } from '../src/tools/types.ts';
import {
  INSTRUCTION_CHECKS,
  SUPPORTED_LANGUAGES,
  countSentences,
  countWords,
  type InstructionKwargs,
} from '../src/tools/verifiers/instructions/checks.ts';
import { instructionTools } from '../src/tools/verifiers/instructions/index.ts';
import { loadLanguageProfiles } from '../src/tools/verifiers/instructions/langdetect.ts';
import { postJson, startApp } from './helpers/service.ts';

function tool(name: string): ToolDefinition {
  const found = instructionTools.find((t) => t.name === name);
  if (!found) throw new Error(`no tool ${name}`);
  return found;
}

const strict = tool('instructions');
const loose = tool('instructions_loose');

function item(response: string, ids: string[], kwargs: InstructionKwargs[], prompt = 'Write something.'): ScoringItem {
  return { prompt, response, metadata: { instruction_id_list: ids, kwargs } };
}

interface Case {
  kwargs?: InstructionKwargs;
  pass: string;
  fail: string;
}

const ENGLISH = 'The weather today is sunny and warm, which makes it a perfect afternoon for a long walk in the park.';

/** For every IFEval instruction id, a response that follows it and one that does not. */
const CASES: Record<string, Case[]> = {
  'keywords:existence': [
    { kwargs: { keywords: ['Banana', 'river'] }, pass: 'A banana fell into the RIVER.', fail: 'A banana fell into the lake.' },
  ],
  'keywords:frequency': [
    { kwargs: { keyword: 'cat', frequency: 3, relation: 'at least' }, pass: 'Cat, cat and CAT.', fail: 'cat and cat.' },
    { kwargs: { keyword: 'cat', frequency: 2, relation: 'less than' }, pass: 'One cat.', fail: 'cat and cat.' },
  ],
  'keywords:forbidden_words': [
    // Whole words only: "category" does not contain the word "cat".
    { kwargs: { forbidden_words: ['cat', 'dog'] }, pass: 'A category of birds.', fail: 'My Dog barks.' },
  ],
  'keywords:letter_frequency': [
    { kwargs: { letter: 'z', let_frequency: 2, let_relation: 'at least' }, pass: 'Zig zag', fail: 'zig-sag' },
    { kwargs: { letter: 'e', let_frequency: 3, let_relation: 'less than' }, pass: 'Eel', fail: 'Eleven' },
  ],
  'language:response_language': [
    {
      kwargs: { language: 'fr' },
      pass: 'Ceci est une phrase en français, écrite pour tester la détection de la langue.',
      fail: ENGLISH,
    },
    {
      kwargs: { language: 'fi' },
      pass: 'Tämä on suomenkielinen lause, joka kertoo jotain tärkeää.',
      fail: 'Das ist ein deutscher Satz, der die Erkennung der Sprache testen soll.',
    },
    { kwargs: { language: 'ja' }, pass: 'これは日本語の文章です。よろしくお願いします。', fail: '이것은 한국어 문장입니다. 감사합니다.' },
  ],
  'length_constraints:number_sentences': [
    {
      kwargs: { num_sentences: 3, relation: 'at least' },
      pass: 'Mr. Smith arrived. He sat down! Was he tired?',
      fail: 'Mr. Smith arrived at 3.15 p.m. with Dr. Jones. He sat down.',
    },
    { kwargs: { num_sentences: 2, relation: 'less than' }, pass: 'Just one sentence here', fail: 'One. Two.' },
  ],
  'length_constraints:number_paragraphs': [
    {
      kwargs: { num_paragraphs: 3 },
      pass: 'First part.\n***\nSecond part.\n***\nThird part.\n***',
      fail: 'First part.\n***\n***\nThird part.',
    },
  ],
  'length_constraints:number_words': [
    { kwargs: { num_words: 5, relation: 'at least' }, pass: "Don't stop me now, friend.", fail: 'Too short - really.' },
    { kwargs: { num_words: 3, relation: 'less than' }, pass: 'Hi there', fail: 'Hi there you' },
  ],
  'length_constraints:nth_paragraph_first_word': [
    {
      kwargs: { num_paragraphs: 2, nth_paragraph: 2, first_word: 'Second' },
      pass: 'First paragraph.\n\n"Second, as asked."',
      fail: 'First paragraph.\n\nThird paragraph.',
    },
  ],
  'detectable_content:number_placeholders': [
    { kwargs: { num_placeholders: 2 }, pass: 'Dear [name], at [address].', fail: 'Dear [name\n], at [address].' },
  ],
  'detectable_content:postscript': [
    { kwargs: { postscript_marker: 'P.S.' }, pass: 'Bye.\n\np. s. see you', fail: 'Bye.\n\nPS see you' },
    { kwargs: { postscript_marker: 'P.P.S' }, pass: 'Bye.\nP.P.S more', fail: 'Bye.\nP.S. more' },
  ],
  'detectable_format:number_bullet_lists': [
    {
      kwargs: { num_bullets: 3 },
      pass: 'List:\n* one\n  * two\n- three\n**not a bullet**',
      fail: 'List:\n* one\n* two',
    },
  ],
  'detectable_format:constrained_response': [
    { pass: 'Hmm. My answer is maybe.', fail: 'My answer is probably yes.' },
  ],
  'detectable_format:number_highlighted_sections': [
    { kwargs: { num_highlights: 2 }, pass: 'Some *key point* and **bold point**.', fail: 'Only *one* and * * and **' },
  ],
  'detectable_format:multiple_sections': [
    {
      kwargs: { section_spliter: 'Section', num_sections: 2 },
      pass: 'Section 1\nIntro\nSection 2\nBody',
      fail: 'SECTION 1\nIntro\nSection two\nBody',
    },
  ],
  'detectable_format:json_format': [
    { pass: '```json\n{"a": [1, 2]}\n```', fail: 'Here is the JSON: {"a": 1}' },
  ],
  'detectable_format:title': [
    { pass: '<<Poem of Joy>>\nRoses are red.', fail: '<< >>\nRoses are red. <<\n>>' },
  ],
  'combination:two_responses': [
    { pass: 'Answer one.\n******\nAnswer two.', fail: 'Same.\n******\nSame.' },
  ],
  'combination:repeat_prompt': [
    {
      kwargs: { prompt_to_repeat: 'Write a poem about the sea.' },
      pass: 'write a poem about the sea. The waves...',
      fail: 'Sure! Write a poem about the sea. The waves...',
    },
  ],
  'startend:end_checker': [
    {
      kwargs: { end_phrase: 'Any other questions?' },
      pass: 'Done. any other questions?"  ',
      fail: 'Any other questions? Thanks.',
    },
  ],
  'startend:quotation': [{ pass: '  "Wrapped in quotes."\n', fail: '"Only opened.' }],
  'change_case:capital_word_frequency': [
    // "DON'T" counts twice (as NLTK splits it), "WELL-KNOWN" once.
    { kwargs: { capital_frequency: 4, capital_relation: 'at least' }, pass: "I DON'T like WELL-KNOWN things", fail: 'I Do NOT know' },
    { kwargs: { capital_frequency: 2, capital_relation: 'less than' }, pass: 'Only ONE here', fail: 'TWO WORDS here' },
  ],
  'change_case:english_capital': [
    { pass: ENGLISH.toUpperCase(), fail: ENGLISH },
    // langdetect reads words in capitals by their initials: this French in capitals passes as English, German does not.
    { pass: 'CECI EST UNE PHRASE EN FRANÇAIS, ÉCRITE POUR TESTER LA DÉTECTION DE LA LANGUE.', fail: 'ALLES KLAR, DAS IST EIN DEUTSCHER SATZ ÜBER DAS WETTER IN BERLIN UND MÜNCHEN.' },
  ],
  'change_case:english_lowercase': [
    { pass: 'i think this is a good idea, and we should do it soon.', fail: 'I think this is a good idea, and we should do it soon.' },
  ],
  'punctuation:no_comma': [{ pass: 'No commas here; none at all.', fail: 'One, comma.' }],
};

describe('IFEval instruction checks', () => {
  beforeAll(loadLanguageProfiles);

  it('covers every registered instruction id, and the registry covers IFEval', () => {
    expect(Object.keys(CASES).sort()).toEqual([...INSTRUCTION_CHECKS.keys()].sort());
    expect(INSTRUCTION_CHECKS.size).toBe(25);
  });

  for (const [id, cases] of Object.entries(CASES)) {
    it(`${id}: follows and fails`, () => {
      const check = INSTRUCTION_CHECKS.get(id)!;
      for (const { kwargs = {}, pass, fail } of cases) {
        expect(check(pass, kwargs, ''), `should pass: ${JSON.stringify(pass)}`).toBe(true);
        expect(check(fail, kwargs, ''), `should fail: ${JSON.stringify(fail)}`).toBe(false);
      }
    });
  }

  it('combination:repeat_prompt falls back to the prompt when kwargs lack prompt_to_repeat', () => {
    const check = INSTRUCTION_CHECKS.get('combination:repeat_prompt')!;
    expect(check('Name a color. Blue.', {}, 'Name a color.')).toBe(true);
    expect(check('Blue.', {}, 'Name a color.')).toBe(false);
  });

  it('counts words as runs of \\w and sentences as Punkt does', () => {
    expect(countWords("don't stop-me now_ok 3.14")).toBe(7);
    // Punkt's English model knows "U.S." but not "e.g." as an abbreviation.
    expect(countSentences('The U.S. economy grew 3.5 percent. It was e.g. fine! Was it?')).toBe(4);
    expect(countSentences('Mr. Smith went home. He slept.')).toBe(2);
    expect(countSentences('Step 1. mix the flour. Step 2. Bake it')).toBe(3);
    expect(countSentences('He said “go.” Then left')).toBe(1);
    expect(countSentences('{"a": "One. Two."\n}')).toBe(3);
    expect(countSentences('"Quoted." Next one')).toBe(2);
    expect(countSentences('a list\n- without periods\n- at all')).toBe(1);
    expect(countSentences('   ')).toBe(0);
  });

  it("supports IFEval's 30 response languages", () => {
    const ifeval = 'en es pt ar hi fr ru de ja it bn uk th ur ta te bg ko pl he fa vi ne sw kn mr gu pa ml fi';
    expect(ifeval.split(' ').filter((code) => !SUPPORTED_LANGUAGES.includes(code))).toEqual([]);
  });
});

describe('instructions tools', () => {
  it('scores the fraction of instructions followed and lists each', async () => {
    const outcome = await strict.score(
      item('Hello, world. <<Title>>', ['punctuation:no_comma', 'detectable_format:title', 'keywords:existence'], [
        {},
        {},
        { keywords: ['world'] },
      ]),
      {},
    );
    expect(outcome.score).toBeCloseTo(0.6667, 4);
    expect(outcome.detail).toMatchObject({
      instructions: [
        { id: 'punctuation:no_comma', followed: false },
        { id: 'detectable_format:title', followed: true },
        { id: 'keywords:existence', followed: true },
      ],
      followed: 2,
      total: 3,
      all_followed: false,
    });
  });

  it('reads IFEval rows from an object reference and ignores null kwargs', async () => {
    const reference = {
      instruction_id_list: ['length_constraints:number_words', 'startend:quotation'],
      kwargs: [{ num_words: 3, relation: 'at least', keyword: null, language: null }, { num_words: null }],
    };
    const outcome = await strict.score({ prompt: 'p', response: '"one two three"', reference }, {});
    expect(outcome.score).toBe(1);
  });

  it('is lenient in the loose variant: a chatty first line or markdown stars are forgiven', async () => {
    const chatty = item('Sure, here is my answer:\n"The sea is calm tonight"', ['startend:quotation', 'punctuation:no_comma'], [{}, {}]);
    expect((await strict.score(chatty, {})).score).toBe(0);
    expect((await loose.score(chatty, {})).score).toBe(1);
    const starred = item('**My answer is yes.**', ['startend:end_checker'], [{ end_phrase: 'yes.' }]);
    expect((await strict.score(starred, {})).score).toBe(0);
    expect((await loose.score(starred, {})).score).toBe(1);
  });

  it('follows nothing on a blank response', async () => {
    const blank = item('  \n ', ['punctuation:no_comma', 'keywords:forbidden_words'], [{}, { forbidden_words: ['x'] }]);
    expect((await strict.score(blank, {})).score).toBe(0);
    expect((await loose.score(blank, {})).score).toBe(0);
  });

  it('rejects a missing list, unknown ids and malformed kwargs with ToolInputError', async () => {
    const cases: [ScoringItem, RegExp][] = [
      [{ prompt: 'p', response: 'r' }, /instruction_id_list/],
      [{ prompt: 'p', response: 'r', reference: 'a string' }, /instruction_id_list/],
      [item('r', [], []), /instruction_id_list/],
      [item('r', ['keywords:existence', 'made:up'], [{ keywords: ['r'] }, {}]), /unknown instruction id\(s\) made:up/],
      [item('r', ['punctuation:no_comma'], [{}, {}]), /one entry per instruction id/],
      [item('r', ['length_constraints:number_words'], [{ num_words: 3 }]), /number_words: kwarg "relation"/],
      [item('r', ['length_constraints:number_words'], [{ num_words: '3', relation: 'at least' }]), /"num_words" must be a number/],
      [item('r', ['keywords:existence'], [{ keywords: null }]), /keywords:existence: kwarg "keywords"/],
      [item('r', ['language:response_language'], [{ language: 'xx' }]), /"language" must be an ISO 639-1 code/],
      [item('r', ['keywords:letter_frequency'], [{ letter: 'ab', let_frequency: 1, let_relation: 'at least' }]), /single letter/],
      [item('r', ['combination:repeat_prompt'], [{}], ''), /prompt_to_repeat/],
    ];
    for (const [bad, message] of cases) {
      for (const t of [strict, loose]) {
        // Thrown, or rejected when the tool first loads langdetect's profiles.
        const outcome = Promise.resolve().then(() => t.score(bad, {}));
        await expect(outcome).rejects.toThrow(ToolInputError);
        await expect(outcome).rejects.toThrow(message);
      }
    }
  });

  it('finishes on 1 MB hostile responses', { timeout: 30_000 }, async () => {
    const ids = [...INSTRUCTION_CHECKS.keys()];
    const kwargs = ids.map((id) => CASES[id]![0]!.kwargs ?? {});
    const size = 1 << 20;
    // Inputs that make naive regexes (lazy or greedy runs retried at every start) quadratic.
    const units = ['[', '*', '**a', '<<', '.', '.x', 'Section ', '"x', '\n', 'p. ', '{"a":', '[[', ' ', '***', 'a', "DON'T "];
    for (const unit of units) {
      const response = unit.repeat(Math.ceil(size / unit.length));
      for (const t of [strict, loose]) {
        const started = Date.now();
        const outcome = await t.score(item(response, ids, kwargs), {});
        expect(outcome.score).toBeGreaterThanOrEqual(0);
        expect(Date.now() - started, `${t.name} on ${JSON.stringify(unit)}`).toBeLessThan(5_000);
      }
    }
  });
});

describe('instructions through HTTP, as the official IFEval checks judge', () => {
  let service: { url: string; close(): Promise<void> };
  beforeAll(async () => {
    service = await startApp();
  });
  afterAll(async () => {
    await service.close();
  });

  async function followed(cases: [string, string, InstructionKwargs][]): Promise<boolean[]> {
    const { status, json } = await postJson(`${service.url}/tools/instructions/score`, {
      items: cases.map(([response, id, kwargs]) => ({ prompt: 'p', response, metadata: { instruction_id_list: [id], kwargs: [kwargs] } })),
    });
    expect(status).toBe(200);
    return json.scores.map((score: number) => score === 1);
  }

  it('change_case:english_capital also needs the text detected as English by langdetect, which reads capitals by initials', async () => {
    expect(
      await followed([
        ['YES', 'change_case:english_capital', {}],
        ['1. PIXEL PRODIGY 2. CODE CONSTRUCT 3. DIGITAL DYNAMICS', 'change_case:english_capital', {}],
        ['cat was too busy chasing a mouse.', 'change_case:english_lowercase', {}],
        ['etchings', 'change_case:english_lowercase', {}],
      ]),
    ).toEqual([false, true, true, false]);
  });

  it('length_constraints:number_sentences splits as Punkt: not before a lowercase word after a number, but after "e.g."', async () => {
    expect(
      await followed([
        ['We met in 2020. then we left. It was fun', 'length_constraints:number_sentences', { num_sentences: 3, relation: 'less than' }],
        ['I like fruits, e.g. apples. And pears', 'length_constraints:number_sentences', { num_sentences: 3, relation: 'at least' }],
        ['"*Why do cats purr?*"', 'length_constraints:number_sentences', { num_sentences: 2, relation: 'at least' }],
      ]),
    ).toEqual([true, true, true]);
  });

  it('language:response_language on short and mixed-script texts', async () => {
    expect(
      await followed([
        ['Hola, ¿cómo estás?', 'language:response_language', { language: 'es' }],
        ['नमस्ते! मेरा नाम John है और मैं Google में काम करता हूँ।', 'language:response_language', { language: 'hi' }],
        ['مرحبا، كيف حالك؟ I am fine.', 'language:response_language', { language: 'ar' }],
        ['Dziękuję bardzo za pomoc.', 'language:response_language', { language: 'pl' }],
        ['Tak', 'language:response_language', { language: 'pl' }],
        ['12345 !!!', 'language:response_language', { language: 'de' }],
      ]),
    ).toEqual([true, true, true, true, false, true]);
  });
});
