import { join } from 'node:path';
import { promtool } from '../test/support/promtool';

const passed = { status: 0, output: expect.stringContaining('SUCCESS') as unknown };

describe('alert rules', () => {
  it("load from the scrape config docker-compose.yml's Prometheus runs with", () => {
    expect(promtool(['check', 'config', join(__dirname, 'prometheus.yml')])).toEqual(passed);
  });

  it('are a valid rules file', () => {
    expect(promtool(['check', 'rules', join(__dirname, 'alerts.yml')])).toEqual(passed);
  });

  it('fire when their alarm is true and stay quiet when it is not (promtool test rules)', () => {
    expect(promtool(['test', 'rules', join(__dirname, 'alerts.test.yml')])).toEqual(passed);
  });
});
