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

/** The one error type the project throws: a stable code, a readable message, an optional cause. */
export class EmodistillError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'EmodistillError';
    this.code = code;
  }
}

/** Normalises anything thrown into an EmodistillError, once, at a boundary. */
export function toEmodistillError(error: unknown): EmodistillError {
  if (error instanceof EmodistillError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new EmodistillError(ERROR_CODES.internal, message, { cause: error });
}
