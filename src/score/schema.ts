// Structure as a score: 1 when the reply is JSON matching the schema, else 0 with every issue.
import type { ZodType } from 'zod';
import { validateContent } from '../llm/index.ts';
import type { Scorer } from './types.ts';

/** Validates `content` (not `data`), so a reply scored after the fact is judged by what the model actually sent. */
export function schemaScorer<T>(schema: ZodType<T>): Scorer {
  return ({ content }) => {
    const validation = validateContent(content, { schema });
    if (validation.ok) return { value: 1, reasons: [] };
    return {
      value: 0,
      reasons: validation.issues.map((issue) => (issue.path ? `${issue.path}: ${issue.message}` : issue.message)),
    };
  };
}
