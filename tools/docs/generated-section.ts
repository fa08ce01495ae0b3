import { readFileSync, writeFileSync } from 'node:fs';
import { CliError } from '../cli';

/**
 * A generated section of a document: the text between a start and an end marker (HTML
 * comments, invisible in rendered Markdown). The generators write it; their tests read it back
 * and fail when it drifts from what the generator prints.
 */
export interface GeneratedSection {
  readonly start: string;
  readonly end: string;
}

/** The section as committed in `text`, markers included and a newline after, or undefined if it has none. */
export function readSection(text: string, section: GeneratedSection): string | undefined {
  const start = text.indexOf(section.start);
  const end = text.indexOf(section.end);
  return start < 0 || end < 0 ? undefined : `${text.slice(start, end + section.end.length)}\n`;
}

/** Replaces the section in `file` with `generated` (which holds the markers). */
export function writeSection(file: string, section: GeneratedSection, generated: string): void {
  const text = readFileSync(file, 'utf8');
  const start = text.indexOf(section.start);
  const end = text.indexOf(section.end);
  if (start < 0 || end < 0) throw new CliError(`${file} has no ${section.start} ... ${section.end} section`);
  writeFileSync(file, text.slice(0, start) + generated.trimEnd() + text.slice(end + section.end.length));
}
