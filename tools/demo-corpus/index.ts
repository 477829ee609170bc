export { generateDemoCorpus } from './generate.ts';
export type { DemoCorpusOptions, DemoCorpusResult } from './generate.ts';
