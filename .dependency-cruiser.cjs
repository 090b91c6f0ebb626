/**
 * The layering of src/, checked by `npm test` (scripts/run-tests.js runs depcruise): data flows one way.
 *
 *   cli                                     yargs commands, progress bars
 *   train infer optimize export importers serve     the library; none imports another, except that serve (an
 *                                           application of inference, like cli) uses infer
 *   losses checkpoint image                 shared foundations
 *   nets                                    networks, layers, ops
 *   backend                                 backend choice, native kernels (Node-API addon in native/)
 *   util io errors.ts paths.ts              plain helpers every layer may use
 *
 * src/index.ts is the package root: it re-exports the library.
 */
const LIBRARY = '(train|infer|optimize|export|importers|serve)';
const FOUNDATIONS = '(losses|checkpoint|image)';
const BASE = '^src/(util/|io/|errors\\.ts$|paths\\.ts$)';

module.exports = {
  forbidden: [
    {
      name: 'library-not-sideways',
      comment: 'A library module imports no other library folder: move what both need into a foundation (src/losses, src/image, src/util, …).',
      severity: 'error',
      from: { path: `^src/${LIBRARY}/`, pathNot: '^src/serve/' },
      to: { path: `^src/${LIBRARY}/`, pathNot: '^src/$1/' },
    },
    {
      name: 'serve-only-over-infer',
      comment: 'nst serve stylizes, as nst stylize does: it may use src/infer (openModel, stylizeBuffer) and no other library module.',
      severity: 'error',
      from: { path: '^src/serve/' },
      to: { path: `^src/${LIBRARY}/`, pathNot: '^src/(serve|infer)/' },
    },
    {
      name: 'nothing-imports-the-cli',
      comment: 'Only the CLI (and bin/) may depend on src/cli.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/cli/' },
      to: { path: '^src/cli/' },
    },
    {
      name: 'foundations-not-upward',
      comment: 'Foundations, networks, backend and helpers never import the library or the package root.',
      severity: 'error',
      from: { path: `^src/(${FOUNDATIONS.slice(1, -1)}|nets|backend|util|io)/|^src/(errors|paths)\\.ts$` },
      to: { path: `^src/${LIBRARY}/|^src/index\\.ts$` },
    },
    {
      name: 'nets-not-upward',
      comment: 'Networks depend on the backend and helpers only.',
      severity: 'error',
      from: { path: '^src/nets/' },
      to: { path: `^src/${FOUNDATIONS}/` },
    },
    {
      name: 'backend-not-upward',
      comment: 'The backend knows nothing of networks or losses: kernel contracts live in src/backend/kernel-contracts.ts.',
      severity: 'error',
      from: { path: '^src/backend/' },
      to: { path: `^src/(${FOUNDATIONS.slice(1, -1)}|nets)/` },
    },
    {
      name: 'helpers-are-leaves',
      comment: 'src/util, src/io, errors.ts and paths.ts import only each other (and packages).',
      severity: 'error',
      from: { path: BASE },
      to: { path: '^src/', pathNot: BASE },
    },
    {
      name: 'no-cycles',
      comment: 'No import cycles; a cycle made only of type imports (which vanish at run time) is allowed.',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    exclude: { path: '^(dist|node_modules)/' },
  },
};
