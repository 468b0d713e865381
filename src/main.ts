import 'reflect-metadata';
import { bootstrap } from './bootstrap';
import { ConfigError, loadConfig } from './config/app-config';

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
  console.log(`peak-checkout listening on ${await app.getUrl()} (docs at /docs)`);
}

void main();
