/**
 * Terraform runs each stack in `cdktf.out/stacks/<stack>/`, three levels below the project root. Paths in
 * the environment are relative to the project root, so they are rewritten relative to the stack
 * directory; `~/` paths are left for the provider to expand on the deploying machine.
 */
export const STACK_DIRECTORY_DEPTH = 3;

export function fromStackDirectory(path: string): string {
  if (path.startsWith('~/')) return path;
  return `${'../'.repeat(STACK_DIRECTORY_DEPTH)}${path}`;
}
