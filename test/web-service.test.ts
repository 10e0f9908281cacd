/** The realistic web service fixture (README "Kubernetes reference"): renders, passes every check, matches its golden files. */
import { join } from 'node:path';
import { describe, it } from 'vitest';
import { expectGoldenFixture } from './helpers/golden-fixture.js';

const FIXTURE = join(import.meta.dirname, '../fixtures/web-service');
describe('golden: the realistic web service', () => {
  it('renders with no diagnostic, exactly the golden files (UPDATE_GOLDEN=1 to accept changes)', async () => {
    await expectGoldenFixture(FIXTURE);
  });
});
