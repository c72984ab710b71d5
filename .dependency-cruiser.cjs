/**
 * The layer rules of ARCHITECTURE.md, enforced by `npm run lint:layers` (and by the static-checks test
 * that `npm test` runs). Production code imports downward only:
 *
 *   app/                      composition root: wires everything, nothing imports it
 *   services/  engine/  activities/   peers that never import each other
 *   dsl/                      YAML → plan (services/campaign compiles on deploy)
 *   contract/                 what several layers share: plan, expression kernel, errors, bus, catalogue
 *   schemas/                  JSON Schemas, the source of truth for contract types
 *
 * sdk/ is shipped to browsers and other servers and imports nothing of ours. Tests, test/, bench/ and
 * scripts/ may cross layers; production code never imports them.
 */
const PRODUCTION = '^(contract|dsl|engine|activities|services|app|sdk)/';
const NOT_TEST = '\\.test\\.ts$';

module.exports = {
  forbidden: [
    {
      name: 'contract-is-the-floor',
      comment: 'contract/ is below every layer: it may import only contract/ and schemas/.',
      severity: 'error',
      from: { path: '^contract/', pathNot: NOT_TEST },
      to: { path: '^(dsl|engine|activities|services|app|sdk|scripts|bench|test)/' },
    },
    {
      name: 'dsl-above-contract-only',
      comment: 'dsl/ turns YAML into a plan; it knows contract/ and schemas/, never the engine or services.',
      severity: 'error',
      from: { path: '^dsl/', pathNot: NOT_TEST },
      to: { path: '^(engine|activities|services|app|sdk|scripts|bench|test)/' },
    },
    {
      name: 'engine-runs-plans-only',
      comment: 'engine/ interprets plans from contract/; it never imports dsl/, activities/ or services/.',
      severity: 'error',
      from: { path: '^engine/', pathNot: NOT_TEST },
      to: { path: '^(dsl|activities|services|app|sdk|scripts|bench|test)/' },
    },
    {
      name: 'activities-call-services-over-http',
      comment: 'activities/ implement the catalogue and reach services through the service client only.',
      severity: 'error',
      from: { path: '^activities/', pathNot: NOT_TEST },
      to: { path: '^(dsl|engine|services|app|sdk|scripts|bench|test)/' },
    },
    {
      name: 'services-own-data',
      comment: 'services/ may use contract/ and dsl/ (compiling on deploy), never the engine or activities.',
      severity: 'error',
      from: { path: '^services/', pathNot: NOT_TEST },
      to: { path: '^(engine|activities|app|sdk|scripts|bench|test)/' },
    },
    {
      name: 'services-do-not-reach-into-each-other',
      comment:
        'A service imports its own folder and services/platform/ only; services/app.ts composes them. ' +
        'Cross-service calls go over HTTP (the internal routes) or the bus.',
      severity: 'error',
      from: { path: '^services/([^/]+)/', pathNot: [NOT_TEST, '^services/platform/'] },
      to: { path: '^services/', pathNot: ['^services/$1/', '^services/platform/'] },
    },
    {
      name: 'platform-is-shared-not-a-service',
      comment: 'services/platform/ is shared plumbing; it never imports a service.',
      severity: 'error',
      from: { path: '^services/platform/', pathNot: NOT_TEST },
      to: { path: '^services/', pathNot: '^services/platform/' },
    },
    {
      name: 'sdk-stands-alone',
      comment: 'sdk/ ships to browsers and client servers: it imports nothing of ours outside sdk/.',
      severity: 'error',
      from: { path: '^sdk/', pathNot: NOT_TEST },
      to: { path: '^(contract|dsl|engine|activities|services|app|scripts|bench|test|schemas)/' },
    },
    {
      name: 'portal-is-an-api-client',
      comment:
        'portal/ runs in the browser and reaches the platform through the public API only: it may import ' +
        'dsl/ (the editor validates as `pulse validate` does), contract/, schemas/ and the typed client ' +
        '(app/api-client.ts), never a service, the engine or activities.',
      severity: 'error',
      from: { path: '^portal/', pathNot: NOT_TEST },
      to: {
        path: '^(engine|activities|services|app|sdk|scripts|bench|test)/',
        pathNot: '^app/api-client\\.ts$',
      },
    },
    {
      name: 'nothing-imports-the-portal',
      comment: 'The platform serves the built portal as files; no production code imports its sources.',
      severity: 'error',
      from: { path: PRODUCTION },
      to: { path: '^portal/' },
    },
    {
      name: 'nothing-imports-the-composition-root',
      comment: 'app/ sits on top: only tests, scripts and benchmarks may import it.',
      severity: 'error',
      from: { path: '^(contract|dsl|engine|activities|services|sdk)/', pathNot: NOT_TEST },
      to: { path: '^app/' },
    },
    {
      name: 'production-never-imports-test-code',
      comment:
        'Test helpers live in test/ (or beside code as *.test.ts); production code never imports them.',
      severity: 'error',
      from: { path: PRODUCTION, pathNot: NOT_TEST },
      to: { path: ['^(test|bench|scripts)/', NOT_TEST] },
    },
    {
      name: 'workflow-bundle-is-sandbox-safe',
      comment:
        'The Temporal workflow bundle (engine/workflow.ts, its interceptors and the interpreter) must stay deterministic: ' +
        'no Node built-ins, no ajv, Kysely, pg, the Temporal client or worker, and no dsl/.',
      severity: 'error',
      from: {
        path: '^engine/(workflows?\\.ts|signals\\.ts|interceptors\\.ts|anniversaries\\.ts|interpreter/)',
        pathNot: NOT_TEST,
      },
      to: {
        dependencyTypesNot: ['type-only'],
        path: [
          '^node:',
          'node_modules/(ajv|kysely|pg|ioredis|@temporalio/(client|worker|activity)|@clickhouse|nodemailer|hono)/',
        ],
      },
    },
    {
      name: 'workflow-bundle-no-builtins',
      comment: 'No Node built-in module inside the workflow bundle.',
      severity: 'error',
      from: {
        path: '^engine/(workflows?\\.ts|signals\\.ts|interceptors\\.ts|anniversaries\\.ts|interpreter/)',
        pathNot: NOT_TEST,
      },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'no-circular',
      comment: 'Import cycles hide a missing layer.',
      severity: 'error',
      from: { pathNot: NOT_TEST },
      // Type-only cycles (a type declared beside the code that uses it) vanish at run time.
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: ['^(node_modules|\\.data|\\.venv|dist)/', '^portal/dist/'] },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.tsx', '.js', '.mjs', '.json'] },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
