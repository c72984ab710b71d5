import { CUSTOM_OPERATORS } from '../../../contract/expr.ts';
import { createRuleEngine, type Operator, type RuleEngine } from '../../platform/rules/compile.ts';

/**
 * The rule engine for segment and rule conditions: json-logic-js semantics, the DSL's custom operators
 * (contract/expr.ts CUSTOM_OPERATORS: date_add, days_between, percent, tier, ...), and code generation for
 * the boolean var-comparison subset (this runs in the service, never in the workflow sandbox).
 */
export function createRewardRuleEngine(): RuleEngine {
  const custom: Record<string, Operator> = {};
  for (const [name, op] of Object.entries(CUSTOM_OPERATORS)) custom[name] = op.fn;
  return createRuleEngine(custom, { codegen: true });
}
