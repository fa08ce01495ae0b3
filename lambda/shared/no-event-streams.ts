/**
 * What the bundles get instead of `@smithy/core/event-streams`: `PipelineFunction.bundling`
 * aliases the module to this file. Event streams are the wire format of the streaming
 * operations only (SageMaker's InvokeEndpointWithResponseStream, S3's SelectObjectContent);
 * the functions never call one.
 *
 * Why: every client imports the module, and every protocol also loads it with a dynamic
 * `import()` (for the streaming operations). esbuild turns the target of a dynamic import into
 * a lazily initialized module, and with it everything it imports: about 170 modules of the
 * SDK core, the clients' own shared code included. Each of those is compiled twice (skimmed
 * with the file, compiled again when first run) and started through a wrapper. Without it,
 * the prediction bundle's import takes about 10 ms (an eighth) less CPU and its first
 * invocation no more (`npm run bench -- --cold-init-only`), and the SageMaker client no longer
 * builds an event-stream marshaller it never uses.
 *
 * Same exports as the module has for the bundled clients, with the same effect on a client's
 * configuration. A streaming operation fails with EventStreamsNotBundled, on the call, never
 * at init; the fix is to drop the alias. A client that starts to import another name from the
 * module fails the build (esbuild: no matching export), not a request.
 * No imports: nothing else may come into the bundle with it.
 */

/** The error every use of an event stream ends in. */
export function eventStreamsNotBundled(): Error {
  const error = new Error(
    'event streams are not bundled: this bundle replaces @smithy/core/event-streams with lambda/shared/no-event-streams.ts, so streaming operations cannot be called (drop the alias in PipelineFunction.bundling to call one)',
  );
  error.name = 'EventStreamsNotBundled';
  return error;
}

/** The marshaller a client keeps in its configuration (`eventStreamMarshaller`): refuses to frame or read a stream. */
export interface RefusingMarshaller {
  serialize(): never;
  deserialize(): never;
}

const refuse = (): never => {
  throw eventStreamsNotBundled();
};

/** The clients' default `eventStreamSerdeProvider`. */
export function eventStreamSerdeProvider(_options?: unknown): RefusingMarshaller {
  return { serialize: refuse, deserialize: refuse };
}

/** As in @smithy/core: the client's configuration, with the marshaller its provider makes. */
export function resolveEventStreamSerdeConfig<T extends { eventStreamSerdeProvider: (input: T) => unknown }>(
  input: T,
): T & { eventStreamMarshaller: unknown } {
  return Object.assign(input, { eventStreamMarshaller: input.eventStreamSerdeProvider(input) });
}

/** What the protocols load for a streaming operation (HttpProtocol.loadEventStreamCapability). */
export class EventStreamSerde {
  constructor(_options?: unknown) {
    throw eventStreamsNotBundled();
  }
}
