// The same N-step chain as a LangGraph.js StateGraph with a SqliteSaver checkpointer, calling the same simulator through
// the same ollama client with the same request (schema as `format`, reply parsed and checked): the comparison figure.
import { Annotation, END, START, StateGraph } from '@langchain/langgraph';
import { SqliteSaver } from '@langchain/langgraph-checkpoint-sqlite';
import { Ollama } from 'ollama';
import { answerSchema, benchModel, callOptions, chainFormat, chainPrompt } from './chain.ts';

const State = Annotation.Root({
  question: Annotation<string>,
  counter: Annotation<number>,
  limit: Annotation<number>,
  answer: Annotation<string | null>,
});

export interface LangGraphChain {
  /** Runs the chain of `steps` calls under a new thread id (checkpointed after every super-step). */
  run(threadId: string, steps: number): Promise<void>;
  close(): void;
}

export function langGraphChain(host: string, dbPath: string, question: string): LangGraphChain {
  const saver = SqliteSaver.fromConnString(dbPath);
  const graph = new StateGraph(State)
    .addNode('ask', async (state) => {
      const stream = await new Ollama({ host }).chat({
        model: benchModel,
        messages: [{ role: 'user', content: chainPrompt(state.question, state.counter) }],
        stream: true,
        format: chainFormat,
        options: callOptions,
      });
      let content = '';
      for await (const part of stream) content += part.message.content;
      const parsed = answerSchema.parse(JSON.parse(content));
      return { counter: state.counter + 1, answer: parsed.answer };
    })
    .addEdge(START, 'ask')
    .addConditionalEdges('ask', (state) => (state.counter < state.limit ? 'ask' : END))
    .compile({ checkpointer: saver });
  return {
    async run(threadId, steps) {
      const final = await graph.invoke(
        { question, counter: 0, limit: steps, answer: null },
        { configurable: { thread_id: threadId }, recursionLimit: steps * 2 + 10 },
      );
      if (final.counter !== steps) throw new Error(`langgraph chain ended after ${final.counter} of ${steps} steps`);
    },
    close() {
      (saver as unknown as { db?: { close(): void } }).db?.close();
    },
  };
}
