// Every test file runs on one backend: NST_BACKEND when set (e.g. NST_BACKEND=cpu for the pure-JS path),
// otherwise the first that loads, as the CLI would pick (native when the addon is built).
import { selectBackend } from '../src/backend/select';

beforeAll(async () => {
  await selectBackend();
});
