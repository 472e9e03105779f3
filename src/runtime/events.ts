// The events people send to runs (CLI, inspector, code): payload on the event as XState has it, checked against what
// the waiting state declared before the run takes it.
import type { AnyEventObject, AnyStateMachine, AnyStateNode } from 'xstate';
import { declaredEventsKey, declaredSchemas } from '../steps/wait-for.ts';
import { isPlainObject } from '../util/plain-object.ts';
import { statePaths } from './activity.ts';
import { EventRejectedError, InputError } from './errors.ts';


const eventTypePattern = /^[A-Za-z_][A-Za-z0-9_.:-]*$/;

/**
 * The event `{ type, ...fields }` from a type and its payload as a person gave them (`harness send … --data`, the
 * inspector's form): InputError unless the type is a plain event name and the payload a JSON object without `type`.
 */
export function eventFrom(type: string, fields: unknown): AnyEventObject {
  if (!eventTypePattern.test(type) || type.startsWith('xstate.')) {
    throw new InputError(`invalid event "${type}": use a name such as APPROVE (letters, digits, '_', '.', ':', '-'; not xstate.*)`);
  }
  if (fields === undefined) return { type };
  if (!isPlainObject(fields)) {
    const got = Array.isArray(fields) ? 'an array' : fields === null ? 'null' : `a ${typeof fields}`;
    throw new InputError(`the payload of ${type} must be a JSON object of the event's fields (e.g. {"by":"ann"}), got ${got}`);
  }
  if ('type' in fields) throw new InputError(`the payload of ${type} must not carry "type": the event's type is ${type}`);
  return { ...fields, type };
}

/** The state nodes active in `value`, the deepest of each branch first. */
function activeNodes(machine: AnyStateMachine, value: unknown): AnyStateNode[] {
  const nodes: AnyStateNode[] = [];
  for (const path of statePaths(value)) {
    let node: AnyStateNode | undefined = machine.root;
    const branch: AnyStateNode[] = [];
    for (const key of path.split('.')) {
      node = node?.states[key];
      if (node) branch.push(node);
    }
    nodes.push(...branch.reverse());
  }
  return nodes;
}

/**
 * The event as the run takes it: when an active state declared its schema (`waitFor({ events })`), the payload is
 * parsed by it (defaults applied, unknown keys dropped as the schema says) and a failure is refused with every issue;
 * an event no active state declared goes as is.
 */
export function checkedEvent(runId: string, machine: AnyStateMachine, value: unknown, event: AnyEventObject): AnyEventObject {
  for (const node of activeNodes(machine, value)) {
    const config: object = node.config;
    const schema = declaredEventsKey in config ? declaredSchemas(config[declaredEventsKey])?.[event.type] : undefined;
    if (!schema) continue;
    const { type, ...payload } = event;
    const parsed = schema.safeParse(payload);
    if (!parsed.success) {
      const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(payload)'}: ${i.message}`).join('; ');
      throw new EventRejectedError(`run ${runId} refuses ${type}: its payload does not match what state ${node.path.join('.')} declared (${issues})`);
    }
    // A schema may give something else than fields (z.string(), a transform): then it cannot be an event's payload.
    if (!isPlainObject(parsed.data)) throw new EventRejectedError(`run ${runId} refuses ${type}: the schema state ${node.path.join('.')} declared for it gives no object of fields`);
    return { ...parsed.data, type };
  }
  return event;
}
