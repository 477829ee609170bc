/**
 * `npm run check:deps`: the dependency rules CI enforces (dependency-cruiser).
 * - no import cycle, between modules or between folders of a package (so none between packages);
 * - the coordinator never reaches tfjs: it imports only core's federation layer.
 * Test files are left out: a test may reach across layers to build its fixtures.
 */
module.exports = {
  forbidden: [
    {
      name: 'no-module-cycles',
      severity: 'error',
      comment: 'An import cycle between modules.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'no-folder-cycles',
      severity: 'error',
      comment: 'Folders of a package import each other (a back arrow between layers).',
      scope: 'folder',
      from: {},
      to: { circular: true },
    },
    {
      name: 'coordinator-without-tfjs',
      severity: 'error',
      comment: 'The coordinator never needs the training code: import @emodistill/core/federation only.',
      from: { path: '^packages/coordinator/src' },
      to: { path: '@tensorflow|onnxruntime', reachable: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(packages/[^/]+|tools)/dist/|\\.test\\.ts$|(^|/)test/' },
    tsPreCompilationDeps: false,
    tsConfig: { fileName: 'tsconfig.base.json' },
    enhancedResolveOptions: {
      conditionNames: ['source', 'import', 'default'],
      exportsFields: ['exports'],
      extensions: ['.ts', '.js'],
    },
    combinedDependencies: false,
  },
};
