import { readFileSync } from 'node:fs';
import { CONFIGURATION_DOC, renderConfigurationDoc } from '../../scripts/configuration-doc';

describe('the docs', () => {
  it('docs/configuration.md is what `npm run docs:config` writes from the configuration schema', async () => {
    const written = readFileSync(CONFIGURATION_DOC, 'utf8');
    expect(written).toBe(await renderConfigurationDoc());
  });
});
