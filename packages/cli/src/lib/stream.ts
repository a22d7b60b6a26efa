// `render --stdout`: every rendered object as one YAML stream, each document marked with its file.
import { parseAllDocuments } from 'yaml';
import type { RenderedTree } from './pipeline.ts';

export function toYamlStream(tree: RenderedTree, outDisplay: string): string {
  // Only files that hold Kubernetes objects: values files and relay routes are not manifests.
  const objectFiles = new Set(tree.objects.map((object) => object.file));
  const parts: string[] = [];
  for (const [path, text] of tree.files) {
    if (!objectFiles.has(path)) continue;
    for (const doc of parseAllDocuments(text)) {
      if (doc.contents === null) continue;
      const body = doc.toString().replace(/^---\n/, '');
      parts.push(`---\n# Source: ${outDisplay}/${path}\n${body}`);
    }
  }
  return parts.join('');
}
