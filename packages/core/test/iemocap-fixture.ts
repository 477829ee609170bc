/**
 * A miniature IEMOCAP_full_release tree in the release's exact layout (DESIGN §8), with synthetic
 * 16 kHz audio: Session<n>/dialog/EmoEvaluation/<dialog>.txt (Latin-1, `%` header, one block per
 * utterance followed by annotator lines, plus Categorical/ and Attribute/ sub-folders to ignore)
 * and Session<n>/sentences/wav/<dialog>/<utterance>.wav.
 */
import { join } from 'node:path';
import { harmonicTone, writeText, writeWav } from './fixtures.js';

export interface IemocapUtterance {
  readonly id: string;
  /** Consensus code as in the release: neu, hap, exc, ang, sad, fru, fea, sur, dis, oth, xxx. */
  readonly code: string;
}

export interface IemocapDialog {
  readonly session: number;
  readonly dialog: string;
  readonly utterances: readonly IemocapUtterance[];
  /** Line ending of the evaluation file; default '\n'. */
  readonly newline?: string;
}

const CATEGORY: Readonly<Record<string, string>> = {
  neu: 'Neutral',
  hap: 'Happiness',
  exc: 'Excited',
  ang: 'Anger',
  sad: 'Sadness',
  fru: 'Frustration',
  sur: 'Surprise',
  xxx: 'Other',
};

/** The text of one EmoEvaluation file (before Latin-1 encoding). */
export function emoEvaluationText(dialog: IemocapDialog): string {
  const newline = dialog.newline ?? '\n';
  const lines = [
    '% [START_TIME - END_TIME] TURN_NAME EMOTION [V, A, D]',
    '% annotators: Élodie, Jürgen (Latin-1 text)',
    '',
  ];
  dialog.utterances.forEach((utterance, i) => {
    const start = (2.5 * i + 0.2901).toFixed(4);
    const end = (2.5 * i + 2.2357).toFixed(4);
    const category = CATEGORY[utterance.code] ?? 'Other';
    lines.push(
      `[${start} - ${end}]\t${utterance.id}\t${utterance.code}\t[2.5000, 2.5000, 2.5000]`,
      `C-E2:\t${category};\t()`,
      `C-E3:\t${category}; Neutral;\t(début à la fin)`,
      `C-F1:\t${category};\t()`,
      `A-E3:\tval 3; act 2; dom  2;\t()`,
      `A-F1:\tval 2; act 3; dom  3;\t()`,
      '',
    );
  });
  return lines.join(newline);
}

/** 0.3 s of a harmonic tone whose pitch differs per utterance, 16 kHz mono 16-bit. */
function utteranceAudio(index: number): Float32Array {
  return harmonicTone(110 + 15 * index, { sampleRateHz: 16000, durationSec: 0.3, amplitude: 0.2 });
}

/** Writes the tree under `root` (the IEMOCAP_full_release folder); @returns the evaluation file paths */
export async function writeIemocapTree(root: string, dialogs: readonly IemocapDialog[]): Promise<string[]> {
  const paths: string[] = [];
  let index = 0;
  for (const dialog of dialogs) {
    const sessionDir = join(root, `Session${dialog.session}`);
    const evaluationDir = join(sessionDir, 'dialog', 'EmoEvaluation');
    const path = join(evaluationDir, `${dialog.dialog}.txt`);
    await writeText(path, emoEvaluationText(dialog), 'latin1');
    paths.push(path);
    // The release's per-annotator sub-folders: a loose parser that recursed into them would pick
    // up this extra utterance line (with a label the release never uses at top level).
    await writeText(
      join(evaluationDir, 'Categorical', `${dialog.dialog}_e2_cat.txt`),
      `${dialog.utterances[0]?.id ?? 'x'} :Neutral state; ()\n[1.0000 - 2.0000]\t${dialog.dialog}_F999\tang\t[1.0, 1.0, 1.0]\n`,
      'latin1',
    );
    await writeText(
      join(evaluationDir, 'Attribute', `${dialog.dialog}_atr.txt`),
      `${dialog.utterances[0]?.id ?? 'x'} :act 2; val 3; dom  2; ()\n`,
      'latin1',
    );
    for (const utterance of dialog.utterances) {
      await writeWav(
        join(sessionDir, 'sentences', 'wav', dialog.dialog, `${utterance.id}.wav`),
        utteranceAudio(index++),
        16000,
      );
    }
  }
  return paths;
}
