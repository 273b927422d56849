/**
 * The installation and security documentation points only at things that exist: every relative link of
 * these pages names a file of the repository and, with a `#fragment`, a heading of that page.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO } from './tools.ts';

const PAGES = [
  'docs/install-aks.md',
  'docs/azure-setup.md',
  'docs/security.md',
  'docs/comparison.md',
  'docs/limitations.md',
];

/** GitHub's heading anchor: lower case, punctuation dropped, spaces to hyphens. */
const slug = (heading: string): string =>
  heading
    .trim()
    .toLowerCase()
    .replace(/`/g, '')
    .replace(/[^\p{L}\p{N} _-]/gu, '')
    .replace(/ /g, '-');

function anchors(markdown: string): Set<string> {
  const out = new Set<string>();
  let fenced = false;
  for (const line of markdown.split('\n')) {
    if (line.startsWith('```')) fenced = !fenced;
    const heading = fenced ? null : /^#{1,6} (.+)$/.exec(line);
    if (heading?.[1]) out.add(slug(heading[1]));
  }
  return out;
}

/** Inline Markdown links outside code blocks: `[text](target)`. */
function links(markdown: string): string[] {
  const prose = markdown.replace(/```[\s\S]*?```/g, '').replace(/`[^`\n]*`/g, '');
  return [...prose.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]!);
}

describe.each(PAGES)('%s', (page) => {
  const text = readFileSync(join(REPO, page), 'utf8');

  it('links only to files and headings that exist', () => {
    const broken: string[] = [];
    for (const link of links(text)) {
      if (/^[a-z]+:/.test(link)) continue; // https:, mailto:
      const [path = '', fragment] = link.split('#');
      const target = path === '' ? join(REPO, page) : join(REPO, dirname(page), path);
      if (!existsSync(target)) {
        broken.push(`${link}: no file ${relative(REPO, target)}`);
        continue;
      }
      if (fragment && target.endsWith('.md') && !anchors(readFileSync(target, 'utf8')).has(fragment))
        broken.push(`${link}: no heading #${fragment} in ${relative(REPO, target)}`);
    }
    expect(broken).toEqual([]);
  });
});

describe('the link checker', () => {
  it.each([
    ['Pod template → container group', 'pod-template--container-group'],
    ['Limits — when it is wrong, and what that costs', 'limits--when-it-is-wrong-and-what-that-costs'],
    ['5. Your first BurstScaler', '5-your-first-burstscaler'],
    ['`spillway explain`', 'spillway-explain'],
  ])('anchors %s as #%s', (heading, anchor) => expect(slug(heading)).toBe(anchor));

  it('finds links outside code only', () => {
    expect(links('see [a](a.md) and `[b](b.md)`\n```\n[c](c.md)\n```\n[d](d.md#x)')).toEqual([
      'a.md',
      'd.md#x',
    ]);
  });
});
