// The exports' YAML: the `yaml` package the stack file is read with, in YAML 1.1 so that strings a
// 1.1 reader would take for something else (`8080:80` for a number, `no` for false) come out quoted.
import { Document } from 'yaml';

// An object used twice (one probe check in three probes) is written out twice, not as an anchor and aliases.
function document(value: unknown): Document {
  return new Document(value, { version: '1.1', aliasDuplicateObjects: false });
}

/** `value` as a YAML document, with `header` as its opening comment; same value, same bytes. */
export function yamlFile(value: unknown, header: string): string {
  const doc = document(value);
  doc.commentBefore = header.split('\n').map((line) => ` ${line}`).join('\n');
  return doc.toString({ lineWidth: 0 });
}

/** Several documents in one file, separated by `---`, the first with `header` as yamlFile writes it. */
export function yamlStream(values: readonly unknown[], header: string): string {
  return values.map((value, i) => (i === 0 ? yamlFile(value, header) : `---\n${document(value).toString({ lineWidth: 0 })}`)).join('');
}
