import { App, DefaultTokenResolver, Lazy, StringConcat, TerraformResource, TerraformStack, Tokenization } from 'cdktf';
import { cdktfTokenMap } from '../adapter/cdktf-internals';
import { forgetTokensSince, tokensMark } from '../engine/token-registry';

const registered = () => {
  const map = cdktfTokenMap()!;
  return map.stringTokenMap.size + map.numberTokenMap.size;
};

test("forgetting an App's tokens removes exactly the tokens registered since the mark", () => {
  const kept = Lazy.stringValue({ produce: () => 'kept' });
  const mark = tokensMark();
  const before = registered();
  const app = new App({ outdir: 'unused', stackTraces: false });
  const stack = new TerraformStack(app, 'stack');
  const target = new TerraformResource(stack, 'Target', { terraformResourceType: 'test_thing' });
  for (let i = 0; i < 5; i++) new TerraformResource(stack, `User${i}`, { terraformResourceType: 'test_thing' }).addOverride('ref', target.getStringAttribute('name'));
  const added = registered() - before;
  expect(added).toBeGreaterThanOrEqual(5);

  expect(forgetTokensSince(mark)).toBe(added);
  expect(registered()).toBe(before);
  // A token from before the mark still resolves.
  expect(Tokenization.resolve(kept, { scope: stack, resolver: new DefaultTokenResolver(new StringConcat()) })).toBe('kept');
});

test('nothing registered since the mark: nothing removed', () => {
  const mark = tokensMark();
  expect(forgetTokensSince(mark)).toBe(0);
});
