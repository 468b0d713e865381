import './instrument';
import 'reflect-metadata';
import { bootstrap } from './bootstrap';
import { ConfigError, loadConfig } from './config/app-config';
import { shutDownOnSignals } from './graceful-shutdown';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(error.message);
    process.exit(78); // EX_CONFIG
  }
  const app = await bootstrap(config);
  shutDownOnSignals(app, config.shutdown.graceMs);
  console.log(`peak-checkout listening on ${await app.getUrl()} (docs at /docs)`);
}

void main();
