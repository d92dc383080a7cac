/** Scratch kits for the slide tests: a temp folder with slides/, labs/manifest.yaml and whatever a test needs. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const OUTPUT_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), '__output__');
/** Screenshots kept in CI's output (.ci/run prints their paths). */
export const ARTIFACTS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../.tall/artifacts');

export const TEST_MANIFEST = `labs:
  - { id: "00", slug: get-tall, title: "Get tall", topic: must be this tall, feature: none }
  - { id: "03", slug: routing-and-load-balancing, title: "Routing and load balancing", topic: distributed complexity, feature: routing }
`;

export interface ScratchKit {
  root: string;
  write(rel: string, content: string | Buffer): string;
  remove(): void;
}

export function scratchKit(files: Record<string, string | Buffer>, manifest = TEST_MANIFEST): ScratchKit {
  const root = mkdtempSync(path.join(tmpdir(), 'tall-slides-'));
  const write = (rel: string, content: string | Buffer) => {
    const file = path.join(root, rel);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, content);
    return file;
  };
  mkdirSync(path.join(root, 'slides'), { recursive: true });
  write('labs/manifest.yaml', manifest);
  for (const [rel, content] of Object.entries(files)) write(rel, content);
  return { root, write, remove: () => rmSync(root, { recursive: true, force: true }) };
}

/** A small valid SVG. */
export const SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="100" height="50" viewBox="0 0 100 50"><rect width="100" height="50" fill="#0b6e4f"/></svg>';
