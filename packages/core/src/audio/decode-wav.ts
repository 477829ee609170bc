import wavefile from 'wavefile';
import { EmodistillError, ERROR_CODES } from '../errors.js';
import { readFileOrFail } from '../io/files.js';

/** Mono audio as float samples in [-1, 1]. */
export interface MonoAudio {
  readonly samples: Float32Array;
  readonly sampleRateHz: number;
}

const WAVE_FORMAT_PCM = 1;
const WAVE_FORMAT_IEEE_FLOAT = 3;
const WAVE_FORMAT_EXTENSIBLE = 0xfffe;

interface WaveFmtChunk {
  audioFormat: number;
  numChannels: number;
  sampleRate: number;
  bitsPerSample: number;
  /** WAVE_FORMAT_EXTENSIBLE sub-format GUID as four uint32; the first is the real format code. */
  subformat?: number[];
}

function unreadable(source: string, reason: string, cause?: unknown): EmodistillError {
  return new EmodistillError(ERROR_CODES.audioUnreadable, `cannot read audio ${source}: ${reason}`, { cause });
}

/** De-interleaves 32-bit float samples (little-endian unless `bigEndian`, as in RIFX). */
function readFloat32Channels(bytes: Uint8Array, channelCount: number, bigEndian: boolean): Float64Array[] {
  const frames = Math.floor(bytes.length / (4 * channelCount));
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return Array.from({ length: channelCount }, (_, c) =>
    Float64Array.from({ length: frames }, (_, i) => view.getFloat32((i * channelCount + c) * 4, !bigEndian)),
  );
}

/**
 * Decodes a RIFF/WAVE file (PCM 8/16/24/32-bit integer or 32/64-bit float, any channel count)
 * into mono by averaging channels. `source` names the file in errors.
 */
export function decodeWav(bytes: Uint8Array, source: string): MonoAudio {
  const wav = new wavefile.WaveFile();
  try {
    wav.fromBuffer(bytes);
  } catch (error) {
    throw unreadable(source, `not a valid WAV file (${error instanceof Error ? error.message : String(error)})`, error);
  }
  const fmt = wav.fmt as WaveFmtChunk;
  const extensible = fmt.audioFormat === WAVE_FORMAT_EXTENSIBLE;
  // WAVE_FORMAT_EXTENSIBLE (ffmpeg's choice for 24/32-bit and multichannel) carries the real
  // format code in its sub-format; wavefile itself ignores it.
  const formatCode = extensible ? (fmt.subformat?.[0] ?? 0) : fmt.audioFormat;
  if (formatCode !== WAVE_FORMAT_PCM && formatCode !== WAVE_FORMAT_IEEE_FLOAT) {
    throw new EmodistillError(
      ERROR_CODES.audioUnsupported,
      `cannot read audio ${source}: WAV format code ${formatCode}${extensible ? ' (in WAVE_FORMAT_EXTENSIBLE)' : ''} is compressed; expected PCM (1) or float (3) — convert it with e.g. \`sox in.wav -e signed -b 16 out.wav\``,
    );
  }
  const isFloat = formatCode === WAVE_FORMAT_IEEE_FLOAT;
  if (!(fmt.sampleRate > 0) || !(fmt.numChannels > 0)) {
    throw unreadable(source, `invalid header (sample rate ${fmt.sampleRate} Hz, ${fmt.numChannels} channels)`);
  }
  // wavefile silently returns the bytes that are there when the file ends inside the data chunk;
  // 0xFFFFFFFF is the RF64/streaming "size unknown" placeholder, not a truncation.
  const data = wav.data as { chunkSize: number; samples: Uint8Array };
  if (data.chunkSize !== 0xffffffff && data.samples.length < data.chunkSize) {
    throw unreadable(
      source,
      `file is truncated: the data chunk declares ${data.chunkSize} bytes but only ${data.samples.length} are present`,
    );
  }
  let raw: Float64Array | Float64Array[];
  try {
    // wavefile unpacks by bit depth alone: extensible 32-bit float would come back as int32.
    raw =
      isFloat && fmt.bitsPerSample === 32 && wav.bitDepth !== '32f'
        ? readFloat32Channels(data.samples, fmt.numChannels, wav.container === 'RIFX')
        : (wav.getSamples(false, Float64Array) as Float64Array | Float64Array[]);
  } catch (error) {
    throw unreadable(source, 'sample data is truncated or malformed', error);
  }
  const channels = Array.isArray(raw) ? raw : [raw];
  const frames = channels[0]?.length ?? 0;
  if (frames === 0) throw unreadable(source, 'no audio samples (empty or truncated data chunk)');

  const bits = fmt.bitsPerSample;
  // Integer PCM of 8 bits or fewer is unsigned (offset binary); wider is two's complement.
  const offset = isFloat || bits > 8 ? 0 : 2 ** (bits - 1);
  const scale = isFloat ? 1 : 1 / 2 ** (bits - 1);
  const mono = new Float32Array(frames);
  const channelWeight = 1 / channels.length;
  for (const channel of channels) {
    for (let i = 0; i < frames; i++) mono[i]! += (channel[i]! - offset) * scale * channelWeight;
  }
  for (let i = 0; i < frames; i++) {
    if (!Number.isFinite(mono[i]!)) throw unreadable(source, `sample ${i} is not a finite number`);
  }
  return { samples: mono, sampleRateHz: fmt.sampleRate };
}

/** Reads and decodes a WAV file from disk; errors name the path. */
export async function readWavFile(path: string): Promise<MonoAudio> {
  return decodeWav(await readFileOrFail(path, (reason, cause) => unreadable(path, reason, cause)), path);
}
