/**
 * `npm run docs:config`: writes docs/configuration.md from the configuration schema, one line per
 * variable with its default and its description (its `.describe()` in
 * src/config/environment-schema.ts). `src/config/configuration-doc.spec.ts` regenerates it in
 * memory and fails when the file is stale, so the page cannot drift from the schema.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as prettier from 'prettier';
import { z } from 'zod';
import { configurationGroups } from '../src/config/environment-schema';
import { simulatorServiceVariables } from '../src/gateway-simulator/gateway-knobs';

export const CONFIGURATION_DOC = join(__dirname, '..', 'docs', 'configuration.md');

interface VariableDoc {
  default?: unknown;
  description?: string;
  /** What an optional variable means when unset, where its description alone is not enough. */
  whenUnset?: string;
}

const INTRODUCTION = `# Configuration

Every knob is an environment variable, read once at boot and validated: a bad value stops the boot
with a message naming the variable (exit code 78), without printing the value of a secret. An
empty variable counts as unset. Every default works on a laptop.

This page is generated from the schema in [\`src/config/environment-schema.ts\`](../src/config/environment-schema.ts)
by \`npm run docs:config\`: edit a description there, then run it. \`npm test\` fails while this page
and the schema disagree.`;

const SIMULATOR_SERVICE = `## The gateway simulator service

\`npm run gateway:simulator\` runs the payment gateway simulator as a service of its own (see
[The payment gateway simulator](architecture.md#the-payment-gateway-simulator)). It reads the \`GATEWAY_*\`
simulator knobs above, and:`;

const TRACING = `## Tracing

The OpenTelemetry SDK reads its own standard variables. Tracing is off unless
\`OTEL_TRACES_EXPORTER\` names an exporter (\`zipkin\`, \`otlp\` or \`console\`); the endpoint,
service name and sampler variables apply as the SDK documents them, and \`OTEL_SDK_DISABLED=true\`
turns tracing off again. See [Following one order](architecture.md#following-one-order).`;

/** `300000` → `5 minutes`: the defaults that are easier to read in larger units. */
function readableDuration(ms: number): string | null {
  const units: [number, string][] = [
    [24 * 3600_000, 'day'],
    [3600_000, 'hour'],
    [60_000, 'minute'],
  ];
  for (const [size, unit] of units) {
    if (ms >= size && ms % size === 0) {
      const count = ms / size;
      return `${count} ${unit}${count === 1 ? '' : 's'}`;
    }
  }
  return null;
}

function defaultOf(name: string, doc: VariableDoc): string {
  if (doc.whenUnset) return `unset: ${doc.whenUnset}`;
  if (doc.default === undefined) return 'no default';
  if (doc.default === '') return 'default empty';
  const shown = `default \`${typeof doc.default === 'string' ? doc.default : JSON.stringify(doc.default)}\``;
  const duration =
    name.endsWith('_MS') && typeof doc.default === 'number' ? readableDuration(doc.default) : null;
  return duration ? `${shown}, ${duration}` : shown;
}

function variableLines(variables: Record<string, z.ZodType>): string[] {
  const schema = z.toJSONSchema(z.object(variables), { io: 'input', unrepresentable: 'any' });
  const properties = (schema.properties ?? {}) as Record<string, VariableDoc>;
  return Object.keys(variables).map((name) => {
    const doc = properties[name] ?? {};
    if (!doc.description) {
      throw new Error(`${name} has no description: add .describe('…') to it in the schema`);
    }
    return `- \`${name}\` (${defaultOf(name, doc)}): ${doc.description}.`;
  });
}

/** The whole page, formatted as `prettier --check` wants it. */
export async function renderConfigurationDoc(): Promise<string> {
  const sections = [
    INTRODUCTION,
    ...configurationGroups.map(({ title, variables }) =>
      [`## ${title}`, ...variableLines(variables)].join('\n'),
    ),
    [SIMULATOR_SERVICE, ...variableLines(simulatorServiceVariables)].join('\n'),
    TRACING,
  ];
  const options = (await prettier.resolveConfig(CONFIGURATION_DOC)) ?? {};
  return prettier.format(sections.join('\n\n'), {
    ...options,
    filepath: CONFIGURATION_DOC,
    proseWrap: 'always',
  });
}

if (require.main === module) {
  renderConfigurationDoc()
    .then((text) => {
      writeFileSync(CONFIGURATION_DOC, text);
      console.log(`written ${CONFIGURATION_DOC}`);
    })
    .catch((error: unknown) => {
      console.error(error);
      process.exit(1);
    });
}
