// The attribute names the harness copies are the ones in @opentelemetry/semantic-conventions; trace ids are stable.
import {
  ATTR_ERROR_TYPE,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
} from '@opentelemetry/semantic-conventions';
import {
  ATTR_GEN_AI_INPUT_MESSAGES,
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_OUTPUT_MESSAGES,
  ATTR_GEN_AI_PROVIDER_NAME,
  ATTR_GEN_AI_REQUEST_MAX_TOKENS,
  ATTR_GEN_AI_REQUEST_MODEL,
  ATTR_GEN_AI_REQUEST_TEMPERATURE,
  ATTR_GEN_AI_RESPONSE_FINISH_REASONS,
  ATTR_GEN_AI_RESPONSE_MODEL,
  ATTR_GEN_AI_TOOL_CALL_ARGUMENTS,
  ATTR_GEN_AI_TOOL_CALL_ID,
  ATTR_GEN_AI_TOOL_CALL_RESULT,
  ATTR_GEN_AI_TOOL_NAME,
  ATTR_GEN_AI_TOOL_TYPE,
  ATTR_GEN_AI_USAGE_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_OUTPUT_TOKENS,
  ATTR_GEN_AI_WORKFLOW_NAME,
  GEN_AI_OPERATION_NAME_VALUE_CHAT,
  GEN_AI_OPERATION_NAME_VALUE_EXECUTE_TOOL,
  GEN_AI_OPERATION_NAME_VALUE_INVOKE_WORKFLOW,
} from '@opentelemetry/semantic-conventions/incubating';
import { isSpanContextValid } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { GenAI, General, Operation } from '../../src/telemetry/attributes.ts';
import { runSpanContext, runTraceparent } from '../../src/telemetry/trace-id.ts';
import { serverAttributes } from '../../src/telemetry/server.ts';

describe('attribute names', () => {
  it('match the semantic conventions package (incubating GenAI, stable general)', () => {
    expect(GenAI).toEqual({
      operationName: ATTR_GEN_AI_OPERATION_NAME,
      providerName: ATTR_GEN_AI_PROVIDER_NAME,
      requestModel: ATTR_GEN_AI_REQUEST_MODEL,
      requestMaxTokens: ATTR_GEN_AI_REQUEST_MAX_TOKENS,
      requestTemperature: ATTR_GEN_AI_REQUEST_TEMPERATURE,
      responseModel: ATTR_GEN_AI_RESPONSE_MODEL,
      responseFinishReasons: ATTR_GEN_AI_RESPONSE_FINISH_REASONS,
      usageInputTokens: ATTR_GEN_AI_USAGE_INPUT_TOKENS,
      usageOutputTokens: ATTR_GEN_AI_USAGE_OUTPUT_TOKENS,
      inputMessages: ATTR_GEN_AI_INPUT_MESSAGES,
      outputMessages: ATTR_GEN_AI_OUTPUT_MESSAGES,
      workflowName: ATTR_GEN_AI_WORKFLOW_NAME,
      toolName: ATTR_GEN_AI_TOOL_NAME,
      toolCallId: ATTR_GEN_AI_TOOL_CALL_ID,
      toolType: ATTR_GEN_AI_TOOL_TYPE,
      toolCallArguments: ATTR_GEN_AI_TOOL_CALL_ARGUMENTS,
      toolCallResult: ATTR_GEN_AI_TOOL_CALL_RESULT,
    });
    expect(Operation).toEqual({
      chat: GEN_AI_OPERATION_NAME_VALUE_CHAT,
      invokeWorkflow: GEN_AI_OPERATION_NAME_VALUE_INVOKE_WORKFLOW,
      executeTool: GEN_AI_OPERATION_NAME_VALUE_EXECUTE_TOOL,
    });
    expect(General).toEqual({ serverAddress: ATTR_SERVER_ADDRESS, serverPort: ATTR_SERVER_PORT, errorType: ATTR_ERROR_TYPE });
  });
});

describe('a run\'s trace', () => {
  it('is derived from the run id alone: the same in every process, different for another run', () => {
    const a = runSpanContext('one-step-20250101-abc');
    expect(isSpanContextValid(a)).toBe(true);
    expect(a.isRemote).toBe(true);
    expect(runSpanContext('one-step-20250101-abc')).toEqual(a);
    expect(runSpanContext('one-step-20250101-abd').traceId).not.toBe(a.traceId);
    expect(runTraceparent('one-step-20250101-abc')).toBe(`00-${a.traceId}-${a.spanId}-01`);
    expect(runTraceparent('x')).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
  });
});

describe('server attributes', () => {
  it('strip credentials and give the port, also for IPv6 and default ports', () => {
    expect(serverAttributes('http://bob:pw@ollama.internal:11434')).toEqual({ 'server.address': 'ollama.internal', 'server.port': 11434 });
    expect(serverAttributes('https://bob:p%40w@gpu.example')).toEqual({ 'server.address': 'gpu.example', 'server.port': 443 });
    expect(serverAttributes('http://[::1]:8080')).toEqual({ 'server.address': '::1', 'server.port': 8080 });
    expect(serverAttributes('')).toEqual({});
    expect(serverAttributes('not a url')).toEqual({});
  });
});
