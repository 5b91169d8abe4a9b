import { renderMermaid, renderSvg } from '../diagram/topology';
import { resolveProvince } from '../model/platform-model';
import { loadEnvironment } from './support/fixtures';

const demo = loadEnvironment('demo').environment;

/** Every opened element is closed, in order: enough to know an SVG viewer can parse it. */
function wellFormed(svg: string): boolean {
  const stack: string[] = [];
  for (const match of svg.replace(/<!--[\s\S]*?-->/g, '').matchAll(/<(\/?)([a-zA-Z]+)[^>]*?(\/?)>/g)) {
    const [, closing, name, selfClosing] = match;
    if (selfClosing) continue;
    if (closing) {
      if (stack.pop() !== name) return false;
    } else stack.push(name!);
  }
  return stack.length === 0;
}

test.each(['A', 'B'] as const)('the SVG is well formed and shows every pair syncing from site %s, and both gatekeepers', (activeSite) => {
  const province = resolveProvince('demo', demo, { activeSite });
  const svg = renderSvg(province);
  expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
  expect(wellFormed(svg)).toBe(true);
  const standby = activeSite === 'A' ? 'B' : 'A';
  const pairs = [...svg.matchAll(/<!-- pair (\S+): (\w) -> (\w) -->/g)].map((m) => `${m[1]} ${m[2]}->${m[3]}`);
  expect(pairs).toEqual(
    ['public/redis-cache', 'public/redis-session', 'core/redis-cache', 'core/redis-session', 'core/kafka', 'core/fastdfs'].map((p) => `${p} ${activeSite}->${standby}`),
  );
  expect(svg).toContain('网闸 gatekeeper A');
  expect(svg).toContain('10.10.250.1 | 10.10.250.2');
  expect(svg).toContain('10.20.250.1 | 10.20.250.2');
  expect(svg).toContain(`数据中心${activeSite} (active 生产)`);
});

test('the pictures are deterministic', () => {
  const province = resolveProvince('demo', demo);
  expect(renderSvg(province)).toBe(renderSvg(resolveProvince('demo', demo)));
  expect(renderMermaid(province)).toBe(renderMermaid(resolveProvince('demo', demo)));
});

test('Mermaid: sync arrows from the active site, the gateway path through each gatekeeper', () => {
  const mermaid = renderMermaid(resolveProvince('demo', demo));
  expect(mermaid).toContain('core_A_redis_cache ==>|sync| core_B_redis_cache');
  expect(mermaid).toContain('public_B_lb --> public_B_gw --> gk_B --> core_B_lb --> core_B_gw');
  expect(mermaid.startsWith('```mermaid\nflowchart TB')).toBe(true);
});
