/**
 * A registry of decoders: validated once when it is built (a malformed descriptor, two decoders with one name, or two
 * decoders on one route fail at start-up with the field named), and findable from a decode thread. A thread cannot be
 * handed functions, so a registry knows where it is defined — a module URL and the export naming it — and a decode
 * task carries only that origin and the decoder's name; the thread imports the module once (`loadRegistry`) and
 * dispatches by name. `DECODERS` (`decoders.ts`) is the collector's registry; a test may build its own.
 */
import { z } from 'zod';
import { BulwarkError, SourceKindSchema } from '@bulwark/schema';
import { routeParams, type IngestDecoder } from './decoder-descriptor.js';

/** Where a registry is defined: what a decode thread imports to find it. */
export interface RegistryOrigin {
  /** `import.meta.url` of the defining module. */
  module: string;
  /** The export holding the registry. */
  export: string;
}

export interface DecoderRegistry {
  /** In registry order: the order of the README rows and of `DECODERS.md`. */
  readonly decoders: readonly IngestDecoder[];
  readonly origin: RegistryOrigin;
  get(name: string): IngestDecoder | undefined;
}

const PATH = /^(\/([A-Za-z0-9._~-]+|\{[a-z_]+\}))+$/;
const NAME = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;
const PARAM = /^[a-z_]+$/;

const DescriptorSchema = z.strictObject({
  name: z.string().regex(NAME, 'lowercase words joined by dashes').max(64),
  routes: z
    .array(
      z.strictObject({
        path: z.string().regex(PATH, 'absolute, with {name} placeholders for path parameters').max(256),
        methods: z.array(z.enum(['POST', 'PUT'])).min(1),
        fixedParams: z.record(z.string().regex(PARAM), z.string()).optional(),
      }),
    )
    .min(1),
  body: z.strictObject({
    mediaTypes: z.array(z.string().regex(/^[a-z0-9.+-]+\/[a-z0-9.+-]+$/)).min(1),
    charsets: z.enum(['any', 'utf-8']),
    compression: z.string().min(1).optional(),
  }),
  requestParams: z.record(z.string().regex(PARAM), z.array(z.string().regex(/^(query|header):[a-z0-9_-]+$/)).min(1)).optional(),
  source: SourceKindSchema,
  accepts: z.array(SourceKindSchema).min(1),
  nativeShapes: z.boolean().optional(),
  limits: z
    .strictObject({ maxBodyBytes: z.number().int().positive().optional(), maxDepth: z.number().int().min(1).optional() })
    .optional(),
  reply: z.enum(['summary', 'es-bulk', 'es-doc', 'otlp']),
  successStatus: z.union([z.literal(200), z.literal(201), z.literal(202), z.literal(204)]).optional(),
  docs: z.strictObject({ summary: z.string().min(10).max(200).refine((s) => !s.includes('\n'), 'one line'), description: z.string().min(20) }),
  decode: z.custom<IngestDecoder['decode']>((v) => typeof v === 'function', 'must be a function'),
});

function invalid(message: string, details: Record<string, unknown>): BulwarkError {
  return new BulwarkError('BWK_CONFIG_INVALID', `decoder registry: ${message}`, details);
}

function check(decoder: IngestDecoder, at: string): void {
  const parsed = DescriptorSchema.safeParse(decoder);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = [at, ...issue.path.map(String)].join('.');
    throw invalid(`${field} ${issue.message}`, { field, decoder: (decoder as { name?: unknown })?.name });
  }
  if (decoder.successStatus !== undefined && decoder.reply !== 'summary') {
    throw invalid(`${at}.successStatus applies to summary replies only`, { field: `${at}.successStatus`, decoder: decoder.name });
  }
  if (!decoder.accepts.includes(decoder.source)) {
    throw invalid(`${at}.accepts must include its source "${decoder.source}"`, { field: `${at}.accepts`, decoder: decoder.name });
  }
  for (const name of Object.keys(decoder.requestParams ?? {})) {
    if (decoder.routes.some((r) => routeParams(r.path).includes(name))) {
      throw invalid(`${at}.requestParams.${name} is also a path placeholder`, { field: `${at}.requestParams.${name}`, decoder: decoder.name });
    }
  }
}

/** Registries built in this process, by origin: what `registryAt` finds without an import. */
const known = new Map<string, DecoderRegistry>();
const keyOf = (origin: RegistryOrigin): string => `${origin.module}#${origin.export}`;

/**
 * Builds and validates a registry. `origin` must name the module and export that hold it, so a decode thread can load
 * it: `decoderRegistry([...], { module: import.meta.url, export: 'DECODERS' })`.
 */
export function decoderRegistry(decoders: readonly IngestDecoder[], origin: RegistryOrigin): DecoderRegistry {
  const byName = new Map<string, IngestDecoder>();
  const routes = new Map<string, string>();
  decoders.forEach((decoder, i) => {
    const at = `decoders[${i}]`;
    check(decoder, at);
    if (byName.has(decoder.name)) throw invalid(`${at}.name "${decoder.name}" is registered twice`, { field: `${at}.name`, decoder: decoder.name });
    byName.set(decoder.name, decoder);
    for (const route of decoder.routes) {
      // `/{index}/_doc` and `/{name}/_doc` are the same route to the router: compare with placeholders erased.
      const shape = route.path.replace(/\{[a-z_]+\}/g, '{}');
      for (const method of route.methods) {
        const owner = routes.get(`${method} ${shape}`);
        if (owner) throw invalid(`${method} ${route.path} is claimed by both ${owner} and ${decoder.name}`, { field: `${at}.routes`, decoder: decoder.name, route: route.path });
        routes.set(`${method} ${shape}`, decoder.name);
      }
    }
  });
  const registry: DecoderRegistry = { decoders: [...decoders], origin: { ...origin }, get: (name) => byName.get(name) };
  known.set(keyOf(origin), registry);
  return registry;
}

/** A registry already built in this thread; throws when it has not been (call `loadRegistry` first). */
export function registryAt(origin: RegistryOrigin): DecoderRegistry {
  const registry = known.get(keyOf(origin));
  if (!registry) throw new BulwarkError('BWK_INTERNAL', `decoder registry ${origin.export} of ${origin.module} is not loaded in this thread`, { ...origin });
  return registry;
}

/** The registry at `origin`, importing its module first when this thread has not built it yet (a decode thread). */
export async function loadRegistry(origin: RegistryOrigin): Promise<DecoderRegistry> {
  const built = known.get(keyOf(origin));
  if (built) return built;
  const module = (await import(origin.module)) as Record<string, unknown>;
  const exported = module[origin.export];
  if (exported === undefined || known.get(keyOf(origin)) !== exported) {
    throw new BulwarkError('BWK_INTERNAL', `${origin.module} does not export the decoder registry ${origin.export} built with that origin`, { ...origin });
  }
  return registryAt(origin);
}
