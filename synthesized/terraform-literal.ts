/**
 * What Terraform makes of a literal string the toolkit escaped for its template syntax
 * (adapter/cdktf-internals.ts `escapeTemplateLiterals`): `$${` is the text `${`, `%%{` the text `%{`.
 * A drill that feeds a synthesized value to a real server without Terraform in between applies this, so
 * the server gets what `terraform apply` would hand it. References (`${...}`) are left as they are.
 */
export function terraformLiteralText(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const three = text.slice(i, i + 3);
    if (three === '$${' || three === '%%{') {
      out += `${three[0]}{`;
      i += 2;
    } else out += text[i];
  }
  return out;
}
