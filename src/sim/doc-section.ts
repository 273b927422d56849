import { readFile } from 'node:fs/promises';

/**
 * The hand-written part of a generated document: the text of an existing `file` from the line `heading`
 * up to (not including) the first later line that starts with `end`, or '' when the file or the heading is
 * missing. Generators use it to rewrite their figures without losing what a person wrote about them.
 */
export async function keptSection(file: string, heading: string, end: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return '';
  }
  const start = text.startsWith(`${heading}\n`) ? 0 : text.indexOf(`\n${heading}\n`) + 1;
  if (start === 0 && !text.startsWith(`${heading}\n`)) return '';
  const stop = text.indexOf(`\n${end}`, start);
  return text.slice(start, stop < 0 ? undefined : stop + 1);
}
