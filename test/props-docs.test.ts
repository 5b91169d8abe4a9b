/**
 * Props as aws-cdk's design guidelines ask: every field of every exported props interface of the
 * constructs (and of the placement types they share), and of every pair kind's plan (the type its
 * construct takes: pairs/<kind>/<kind>-plan.ts), has a doc comment, and every optional field says its
 * default (`@default`, or `@default - <what happens without it>`). Read with TypeScript's own parser.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import * as ts from 'typescript';
import { PROJECT_ROOT } from './support/fixtures';

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith('.ts') ? [path] : [];
  });
}

interface Field {
  readonly name: string;
  readonly documented: boolean;
  readonly optional: boolean;
  readonly hasDefault: boolean;
}

function propsFields(): Field[] {
  const fields: Field[] = [];
  for (const file of [...sourceFiles(join(PROJECT_ROOT, 'constructs')), ...sourceFiles(join(PROJECT_ROOT, 'pairs'))]) {
    const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
    const inPlan = file.endsWith('-plan.ts');
    source.forEachChild((node) => {
      if (!ts.isInterfaceDeclaration(node) || !(/(Props|Placement)$/.test(node.name.text) || (inPlan && /(Plan|Settings|Server|Bound)$/.test(node.name.text)))) return;
      if (!node.modifiers?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword)) return;
      for (const member of node.members) {
        if (!ts.isPropertySignature(member)) continue;
        fields.push({
          name: `${relative(PROJECT_ROOT, file)}: ${node.name.text}.${member.name.getText(source)}`,
          documented: ts.getJSDocCommentsAndTags(member).length > 0,
          optional: member.questionToken !== undefined,
          hasDefault: ts.getJSDocTags(member).some((tag) => tag.tagName.text === 'default'),
        });
      }
    });
  }
  return fields;
}

test('every public props field is documented, and every optional one says its default', () => {
  const fields = propsFields();
  expect(fields.length).toBeGreaterThan(130);
  expect(fields.filter((f) => !f.documented).map((f) => f.name)).toEqual([]);
  expect(fields.filter((f) => f.optional && !f.hasDefault).map((f) => f.name)).toEqual([]);
});

test('zone and site are declared once, in the shared placement types, not again in each construct', () => {
  const again = propsFields().filter((f) => /: \w+Props\.(zone|site)$/.test(f.name) && !f.name.includes('middleware-set.ts'));
  expect(again.map((f) => f.name)).toEqual([]);
});
