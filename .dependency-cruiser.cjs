/**
 * The layering of src/, checked by `npm test` (scripts/run-tests.js runs depcruise): data flows one way.
 *
 *   cli                                     yargs commands, progress bars
 *   serve queue                             applications of the library, as the CLI is: nst serve (HTTP) and queued
 *                                           jobs (BullMQ workers) stylize and train exactly as nst stylize / nst train do
 *   train infer optimize export importers   the library; none imports another
 *   losses checkpoint image                 shared foundations
 *   nets                                    networks, layers, ops
 *   backend                                 backend choice, native kernels (Node-API addon in native/)
 *   util io errors.ts paths.ts              plain helpers every layer may use
 *
 * src/index.ts is the package root: it re-exports the library (and the applications' entry points).
 *
 * src/serve and src/queue are applications, not library modules: a queue worker runs stylize jobs (src/infer) and
 * training jobs (src/train) exactly as nst stylize / nst train do, so like the CLI they may import any library module;
 * nothing below them imports them, and they do not import each other.
 */
const LIBRARY = '(train|infer|optimize|export|importers)';
const FOUNDATIONS = '(losses|checkpoint|image)';
const BASE = '^src/(util/|io/|errors\\.ts$|paths\\.ts$)';

module.exports = {
  forbidden: [
    {
      name: 'library-not-sideways',
      comment: 'A library module imports no other library folder: move what both need into a foundation (src/losses, src/image, src/util, …).',
      severity: 'error',
      from: { path: `^src/${LIBRARY}/` },
      to: { path: `^src/${LIBRARY}/`, pathNot: '^src/$1/' },
    },
    {
      name: 'nothing-imports-the-cli',
      comment: 'Only the CLI (and bin/) may depend on src/cli.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/cli/' },
      to: { path: '^src/cli/' },
    },
    {
      name: 'nothing-below-imports-the-apps',
      comment: 'src/serve and src/queue apply the library (as the CLI does): only the CLI and the package root may depend on them.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/(cli|queue|serve)/|^src/index\\.ts$' },
      to: { path: '^src/(queue|serve)/' },
    },
    {
      name: 'apps-not-sideways',
      comment: 'nst serve and the queue share what they need through the library, not through each other.',
      severity: 'error',
      from: { path: '^src/(queue|serve)/' },
      to: { path: '^src/(queue|serve)/', pathNot: '^src/$1/' },
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
