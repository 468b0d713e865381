import { readSimulatorSettings, SimulatorSettings } from './gateway-knobs';
import { GatewaySimulation } from './gateway-simulation';
import { GatewaySimulatorServer } from './gateway-simulator-server';

/**
 * `npm run gateway:simulator`: the payment gateway simulator as a service of its own, shared by
 * every process of a fleet (point their GATEWAY_URL at the URL it prints).
 */
async function main(): Promise<void> {
  let settings: SimulatorSettings;
  try {
    settings = readSimulatorSettings();
  } catch (error) {
    console.error((error as Error).message);
    process.exit(78); // EX_CONFIG, as the app
  }
  const server = new GatewaySimulatorServer(new GatewaySimulation(settings.knobs));
  const url = await server.listen(settings.port, settings.host);
  console.log(`payment gateway simulator listening on ${url} (${JSON.stringify(settings.knobs)})`);
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => void server.close().then(() => process.exit(0)));
  }
}

void main();
