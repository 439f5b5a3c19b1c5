// Whether a BCC attach happens on a given kernel, from its conditions and the answers to the
// kernel checks they test. Three-valued: `true` (it happens whenever the tool runs there, with the
// options that reach it), `false` (never there), `undefined` (the file or the facts cannot tell).
// The answers come from the caller (the analysis knows kernels; this module only knows the logic).
//
// Conditions on command-line options are taken as met: with those options the attach happens on
// every kernel, so the kernel's facts about it are owed to the user. A try block that tolerates the
// failure can never be said to attach for sure.

import { dependsOnKernel } from './interp';
import type { BccCondition, BccGuard, GuardExpr } from './types';

export type Tri = boolean | undefined;

function and3(values: Tri[]): Tri {
  if (values.some((v) => v === false)) return false;
  return values.every((v) => v === true) ? true : undefined;
}

function or3(values: Tri[]): Tri {
  if (values.some((v) => v === true)) return true;
  return values.every((v) => v === false) ? false : undefined;
}

/** The value of a guard expression, given the answer to each kernel check. */
export function evaluateGuardExpr(e: GuardExpr, answer: (g: BccGuard) => Tri): Tri {
  // A part that tests no kernel check is the user's choice, taken as the one that reaches the
  // attach (`if not args.queued:` as much as `if args.queued:`).
  if (!dependsOnKernel(e)) return true;
  switch (e.op) {
    case 'guard': return answer(e.guard);
    case 'not': { const v = evaluateGuardExpr(e.arg, answer); return v === undefined ? undefined : !v; }
    case 'and': return and3(e.args.map((a) => evaluateGuardExpr(a, answer)));
    case 'or': return or3(e.args.map((a) => evaluateGuardExpr(a, answer)));
    // A test that depends on the kernel in a way the model did not break down.
    case 'opaque': return undefined;
  }
}

/** Whether an attach with these conditions happens on the kernel the answers are about. */
export function conditionsHold(conds: readonly BccCondition[], answer: (g: BccGuard) => Tri): Tri {
  return and3(conds.map((c) => {
    if (c.kind === 'try' || c.kind === 'except') return undefined;
    if (c.kind === 'loop' || (c.kind === 'preprocessor' && c.expr.op === 'opaque' && !c.expr.guards.length)) return true;
    return evaluateGuardExpr(c.expr, answer);
  }));
}
