/** Error codes of @emodistill/core; every value is unique (checked by a test). */
export const ERROR_CODES = {
  audioUnreadable: 'AUDIO_UNREADABLE',
  audioUnsupported: 'AUDIO_UNSUPPORTED',
  corpusLayout: 'CORPUS_LAYOUT',
  corpusLabel: 'CORPUS_LABEL',
  manifestColumn: 'MANIFEST_COLUMN',
  manifestRow: 'MANIFEST_ROW',
  embeddingsShape: 'EMBEDDINGS_SHAPE',
  featureSetFormat: 'FEATURE_SET_FORMAT',
  featureSetMismatch: 'FEATURE_SET_MISMATCH',
  bundleFormat: 'BUNDLE_FORMAT',
  bundleMismatch: 'BUNDLE_MISMATCH',
  invalidOption: 'INVALID_OPTION',
  internal: 'INTERNAL',
} as const;

export type ErrorCode = (typeof ERROR_CODES)[keyof typeof ERROR_CODES];

/**
 * The error type of every user-facing failure in the project: a stable code, a readable message,
 * an optional cause. `C` is the code union of the package that throws it (core's by default); each
 * app package narrows it with a subclass in its own `errors.ts` (e.g. `SiteAgentError`), so a
 * package can only throw its own codes. The CLI prints any of them as `error [CODE] message`.
 */
export class EmodistillError<C extends string = ErrorCode> extends Error {
  readonly code: C;
  constructor(code: C, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'EmodistillError';
    this.code = code;
  }
}

/**
 * Normalises anything thrown into an EmodistillError, once, at a boundary: a coded error of any
 * package is returned as it is; anything else becomes core's INTERNAL, keeping it as the cause.
 */
export function toEmodistillError(error: unknown): EmodistillError<string> {
  if (error instanceof EmodistillError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new EmodistillError(ERROR_CODES.internal, message, { cause: error });
}
