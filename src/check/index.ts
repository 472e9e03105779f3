// Public surface of static checks: checkMachine, the rule registry, and diagrams.
export { checkMachine, hasErrors } from './check.ts';
export { rules } from './registry.ts';
export { toMermaid } from './mermaid.ts';
export { toDefinitionJson, type JsonValue } from './definition.ts';
export type { CheckOptions, Finding, Rule, RuleDefinition, RuleName, Severity } from './types.ts';
