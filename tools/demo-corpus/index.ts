export { DEMO_CORPUS_GENERATOR_VERSION, generateDemoCorpus } from './generate.ts';
export type { DemoCorpusOptions, DemoCorpusResult } from './generate.ts';
