// Reading a structured reply: JSON parse, then the zod schema, with every problem as a ValidationIssue.
import type { ZodType } from 'zod';
import type { ValidationIssue } from './types.ts';

export type Validation<T> = { ok: true; data: T } | { ok: false; issues: ValidationIssue[] };

export interface ValidateOptions<T> {
  schema?: ZodType<T>;
  /** Set when the reply stopped at maxTokens (`done_reason: "length"`), so a parse failure says why. */
  truncatedAt?: number;
}

// Grammar-constrained output never has fences, but a model asked for JSON without `format` often adds them.
const fence = /^```[a-zA-Z]*\s*\n([\s\S]*?)\n?```$/;

function stripFence(content: string): string {
  const trimmed = content.trim();
  return fence.exec(trimmed)?.[1] ?? trimmed;
}

function issuePath(path: readonly PropertyKey[]): string {
  return path.map(String).join('.');
}

/** Parses `content` as JSON and, when a schema is given, validates it. Never throws. */
export function validateContent<T = unknown>(content: string, options: ValidateOptions<T> = {}): Validation<T> {
  let value: unknown;
  try {
    value = JSON.parse(stripFence(content));
  } catch (err) {
    const issues: ValidationIssue[] = [];
    if (options.truncatedAt !== undefined) {
      issues.push({ path: '', message: `reply was truncated at maxTokens (${options.truncatedAt} tokens) before the JSON was complete` });
    }
    const why = content.trim() === '' ? 'reply is empty' : `reply is not valid JSON: ${(err as Error).message}`;
    issues.push({ path: '', message: why });
    return { ok: false, issues };
  }
  if (options.schema === undefined) return { ok: true, data: value as T };
  const parsed = options.schema.safeParse(value);
  if (parsed.success) return { ok: true, data: parsed.data };
  return {
    ok: false,
    issues: parsed.error.issues.map((issue) => ({ path: issuePath(issue.path), message: issue.message })),
  };
}
