import { proportional, scalarEqual, squeeze, type Deadline, type ScalarRule } from './scalar.ts';
import type { MathValue } from './structure.ts';

/**
 * Equivalence of two parsed answers: lists elementwise (tuples in order, sets in any order), intervals
 * by ends and closedness, matrices by shape and cells, relations up to a constant factor (a positive
 * one for inequalities), and single expressions by `scalarEqual`. The result names the rule that
 * decided, or is undefined when the answers differ.
 */

export type MatchRule = Exclude<ScalarRule, 'no_match'> | 'tuple' | 'set' | 'interval' | 'union' | 'matrix' | 'relation';

type Expr = Extract<MathValue, { kind: 'expr' }>;
type Relation = Extract<MathValue, { kind: 'relation' }>;

function expr(latex: string): Expr {
  return { kind: 'expr', latex };
}

/** Both sides of a relation moved to one: `lhs - rhs`. */
function difference(r: Relation): string {
  return `(${r.lhs})-(${r.rhs})`;
}

function relationsEqual(g: Relation, p: Relation, deadline: Deadline): boolean {
  if (g.op !== p.op) return false;
  if (scalarEqual(g.lhs, p.lhs, deadline) !== 'no_match' && scalarEqual(g.rhs, p.rhs, deadline) !== 'no_match') return true;
  // The same relation scaled: gl - gr = c (pl - pr), with c > 0 for an inequality.
  return proportional(difference(g), difference(p), g.op === '<' || g.op === '<=', deadline);
}

/** The same answer written the same way (up to spacing): no need to compare further. */
function sameText(a: MathValue, b: MathValue): boolean {
  return squeeze(JSON.stringify(a)) === squeeze(JSON.stringify(b));
}

/** Whether some item of `among` equals `item`, trying the ones written alike first (no CAS for those). */
function contains(among: MathValue[], item: MathValue, itemIsGold: boolean, deadline: Deadline): boolean {
  if (among.some((x) => sameText(x, item))) return true;
  return among.some((x) => (itemIsGold ? equal(item, x, deadline) : equal(x, item, deadline)) !== undefined);
}

/** Set equality: every item of each side equals some item of the other (repeats count once). */
function matchUnordered(gold: MathValue[], pred: MathValue[], deadline: Deadline): boolean {
  return gold.every((g) => contains(pred, g, true, deadline)) && pred.every((p) => contains(gold, p, false, deadline));
}

function matchOrdered(gold: MathValue[], pred: MathValue[], deadline: Deadline): boolean {
  return gold.length === pred.length && gold.every((g, i) => equal(g, pred[i]!, deadline) !== undefined);
}

/** A relation read as the set it describes, when one side is a bare variable: `x >= 5` -> [5, oo). */
function asInterval(r: Relation): MathValue | undefined {
  const bare = /^[a-zA-Z](?:_\{?\w+\}?)?$/;
  if (r.op === '=' || r.op === '!=') return undefined;
  const closed = r.op === '<=';
  if (bare.test(r.lhs.trim())) {
    return { kind: 'interval', lo: expr('-\\infty'), hi: expr(r.rhs), loClosed: false, hiClosed: closed };
  }
  if (bare.test(r.rhs.trim())) {
    return { kind: 'interval', lo: expr(r.lhs), hi: expr('\\infty'), loClosed: closed, hiClosed: false };
  }
  return undefined;
}

const when = (condition: boolean, rule: MatchRule): MatchRule | undefined => (condition ? rule : undefined);

export function equal(gold: MathValue, pred: MathValue, deadline: Deadline): MatchRule | undefined {
  deadline.check();
  switch (gold.kind) {
    case 'expr': {
      if (pred.kind === 'expr') {
        const rule = scalarEqual(gold.latex, pred.latex, deadline);
        return rule === 'no_match' ? undefined : rule;
      }
      // A set whose items all equal the answer is that answer: `\\boxed{15\\frac{39}{40}}, or \\boxed{\\frac{639}{40}}`.
      if (pred.kind === 'list' && !pred.ordered && pred.items.length > 0) {
        const first = equal(gold, pred.items[0]!, deadline);
        return first && pred.items.slice(1).every((item) => equal(gold, item, deadline) !== undefined) ? first : undefined;
      }
      if (pred.kind === 'relation' && pred.op === '=') {
        // `y = -2/3 x + 2` against `2x + 3y = 6`: the same line.
        if (gold.assigned !== undefined) {
          return when(relationsEqual({ kind: 'relation', op: '=', lhs: gold.assigned, rhs: gold.latex }, pred, deadline), 'relation');
        }
        // `1/2 = 10/9` stated for the answer 10/9: the value is what the chain ends with.
        return equal(gold, expr(pred.rhs), deadline);
      }
      return undefined;
    }
    case 'list':
      if (pred.kind === 'list') {
        // A tuple against a set compares in the order written.
        if (gold.ordered || pred.ordered) return when(matchOrdered(gold.items, pred.items, deadline), 'tuple');
        return when(matchUnordered(gold.items, pred.items, deadline), 'set');
      }
      if (gold.items.length === 1) return equal(gold.items[0]!, pred, deadline);
      if (pred.kind === 'interval' && gold.ordered && gold.items.length === 2) {
        return when(!pred.loClosed && !pred.hiClosed && matchOrdered(gold.items, [pred.lo, pred.hi], deadline), 'interval');
      }
      return undefined;
    case 'interval':
      if (pred.kind === 'interval') {
        const same =
          gold.loClosed === pred.loClosed &&
          gold.hiClosed === pred.hiClosed &&
          equal(gold.lo, pred.lo, deadline) !== undefined &&
          equal(gold.hi, pred.hi, deadline) !== undefined;
        return when(same, 'interval');
      }
      if (pred.kind === 'list' && pred.ordered && pred.items.length === 2) return equal(pred, gold, deadline);
      if (pred.kind === 'union' && pred.parts.length === 1) return equal(gold, pred.parts[0]!, deadline);
      if (pred.kind === 'relation') {
        const interval = asInterval(pred);
        return interval && equal(gold, interval, deadline);
      }
      return undefined;
    case 'union':
      if (pred.kind === 'union') return when(matchUnordered(gold.parts, pred.parts, deadline), 'union');
      // `x < 2 or x > 3` for (-oo, 2) U (3, oo).
      if (pred.kind === 'list' && !pred.ordered && pred.items.every((i) => i.kind === 'relation')) {
        const intervals = pred.items.map((i) => asInterval(i as Relation));
        if (intervals.every((i) => i !== undefined)) return when(matchUnordered(gold.parts, intervals, deadline), 'union');
      }
      return gold.parts.length === 1 ? equal(gold.parts[0]!, pred, deadline) : undefined;
    case 'matrix':
      return when(
        pred.kind === 'matrix' &&
          gold.rows.length === pred.rows.length &&
          gold.rows.every((row, i) => matchOrdered(row, pred.rows[i]!, deadline)),
        'matrix',
      );
    case 'relation':
      if (pred.kind === 'relation') return when(relationsEqual(gold, pred, deadline), 'relation');
      if (pred.kind === 'expr' && pred.assigned !== undefined) {
        const assignment: Relation = { kind: 'relation', op: '=', lhs: pred.assigned, rhs: pred.latex };
        return when(relationsEqual(gold, assignment, deadline), 'relation');
      }
      if (pred.kind === 'interval') {
        const interval = asInterval(gold);
        return interval && equal(interval, pred, deadline);
      }
      return undefined;
  }
}
