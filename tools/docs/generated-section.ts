import { readFileSync, writeFileSync } from 'node:fs';
import { CliError, runCommand } from '../cli';

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

export interface SectionCommand {
  /** The npm script, for messages: `docs:alarms`. */
  readonly name: string;
  readonly section: GeneratedSection;
  /** Which markers, for the option's help: `alarm`. */
  readonly markers: string;
  readonly usage: string;
  readonly summary: string;
  /** The section, markers included. */
  readonly render: () => string;
}

/** A generator's command line: prints the section, or with `--write FILE` replaces it in FILE. */
export function runSectionCommand(command: SectionCommand): void {
  void runCommand({
    name: command.name,
    options: {
      write: {
        type: 'string',
        value: 'FILE',
        description: `replace the section between the ${command.markers} markers in FILE (default: print it)`,
      },
    },
    help: { usage: command.usage, summary: command.summary },
    run: (o) => {
      if (o.write === undefined) process.stdout.write(command.render());
      else writeSection(o.write, command.section, command.render());
      return 0;
    },
  });
}
