/**
 * Topology pictures of a province: zones x datacenters, the DR pairs with their sync direction, the
 * gateway path through each site's gatekeeper (网闸), and the load balancer groups. Pure functions of the
 * province model: Mermaid for Markdown viewers, and an SVG drawn here without any network or browser.
 */
import { DR_PAIRED_MIDDLEWARE } from '../model/catalog';
import { planLoadBalancer } from '../model/load-balancer';
import type { DeploymentUnit, ProvinceModel } from '../model/platform-model';
import { SITE_NAMES_ZH, SITES, ZONE_NAMES_ZH, ZONES, type Site, type Zone } from '../model/topology';

function unitOf(province: ProvinceModel, zone: Zone, site: Site): DeploymentUnit {
  return province.units.find((u) => u.zone === zone && u.site === site)!;
}

function groupCounts(province: ProvinceModel, unit: DeploymentUnit): { working: number; standby: number } {
  const plan = planLoadBalancer(province, unit);
  const local = plan.groups.map((g) => g.members.find((m) => m.site === unit.site)!);
  return { working: local.filter((m) => !m.standby).length, standby: local.filter((m) => m.standby).length };
}

const pairsOf = (unit: DeploymentUnit) => unit.middleware.filter((r) => DR_PAIRED_MIDDLEWARE.includes(r));
const others = (unit: DeploymentUnit) => unit.middleware.filter((r) => !DR_PAIRED_MIDDLEWARE.includes(r));

export function renderMermaid(province: ProvinceModel): string {
  const id = (zone: Zone, site: Site, what: string) => `${zone}_${site}_${what}`.replace(/-/g, '_');
  const lines = ['```mermaid', 'flowchart TB'];
  for (const site of SITES) {
    const active = site === province.activeSite ? ' (active)' : ' (standby)';
    lines.push(`  subgraph site_${site}["${SITE_NAMES_ZH[site]} / datacenter ${site}${active}"]`);
    for (const zone of ZONES) {
      const unit = unitOf(province, zone, site);
      const counts = groupCounts(province, unit);
      lines.push(`    subgraph ${zone}_${site}["${ZONE_NAMES_ZH[zone]} (${zone}) — ${unit.stackName}"]`);
      lines.push(`      ${id(zone, site, 'lb')}["负载均衡 ${unit.ingressVip}<br/>${counts.working} working / ${counts.standby} standby groups"]`);
      if (province.gateway) lines.push(`      ${id(zone, site, 'gw')}["服务网关"]`);
      for (const role of pairsOf(unit)) lines.push(`      ${id(zone, site, role)}[("${role} ${unit.middlewareVips[role]}")]`);
      if (others(unit).length > 0) lines.push(`      ${id(zone, site, 'other')}["${others(unit).join(', ')}"]`);
      lines.push('    end');
    }
    lines.push(`    gk_${site}{{"网闸 gatekeeper ${site}<br/>${unitOf(province, 'public', site).gatekeeper} / ${unitOf(province, 'core', site).gatekeeper}"}}`);
    lines.push('  end');
  }
  for (const site of SITES) {
    if (province.gateway) {
      lines.push(`  ${id('public', site, 'lb')} --> ${id('public', site, 'gw')} --> gk_${site} --> ${id('core', site, 'lb')} --> ${id('core', site, 'gw')}`);
    } else {
      lines.push(`  ${id('public', site, 'lb')} -.-> gk_${site} -.-> ${id('core', site, 'lb')}`);
    }
  }
  const standby = province.activeSite === 'A' ? 'B' : 'A';
  for (const zone of ZONES) {
    for (const role of pairsOf(unitOf(province, zone, province.activeSite))) {
      lines.push(`  ${id(zone, province.activeSite, role)} ==>|sync| ${id(zone, standby, role)}`);
    }
  }
  lines.push('```');
  return `${lines.join('\n')}\n`;
}

// --- SVG ---------------------------------------------------------------------------------------------

const CELL_W = 520;
const CELL_H = 300;
const MARGIN = 40;
const GAP_X = 180;
const GATE_H = 70;
const TITLE_H = 60;

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function box(x: number, y: number, w: number, h: number, fill: string, stroke: string, rx = 8): string {
  return `<rect x="${x}" y="${y}" width="${w}" height="${h}" rx="${rx}" fill="${fill}" stroke="${stroke}" stroke-width="1.5"/>`;
}

function text(x: number, y: number, content: string, size = 13, weight = 'normal', anchor = 'start', fill = '#1f2933'): string {
  return `<text x="${x}" y="${y}" font-size="${size}" font-weight="${weight}" text-anchor="${anchor}" fill="${fill}">${escapeXml(content)}</text>`;
}

function arrow(x1: number, y1: number, x2: number, y2: number, color: string, label?: string, dashed = false): string {
  const parts = [`<line x1="${x1}" y1="${y1}" x2="${x2}" y2="${y2}" stroke="${color}" stroke-width="2.5"${dashed ? ' stroke-dasharray="6 4"' : ''} marker-end="url(#arrow-${color.slice(1)})"/>`];
  if (label) parts.push(text((x1 + x2) / 2, (y1 + y2) / 2 - 6, label, 12, 'bold', 'middle', color));
  return parts.join('');
}

export function renderSvg(province: ProvinceModel): string {
  const width = MARGIN * 2 + CELL_W * 2 + GAP_X;
  const height = TITLE_H + MARGIN + CELL_H * 2 + GATE_H + MARGIN;
  const columnX = (site: Site) => MARGIN + (site === 'A' ? 0 : CELL_W + GAP_X);
  const rowY = (zone: Zone) => TITLE_H + MARGIN + (zone === 'public' ? 0 : CELL_H + GATE_H);
  const pairRowY = (index: number) => 150 + index * 34;
  const parts: string[] = [];
  const colors = { sync: '#c2410c', gateway: '#1d4ed8', neutral: '#52606d' };
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Noto Sans CJK SC, WenQuanYi Micro Hei, sans-serif">`,
    '<defs>',
    ...Object.values(colors).map((c) => `<marker id="arrow-${c.slice(1)}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="${c}"/></marker>`),
    '</defs>',
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    text(MARGIN, 34, `${province.provinceName} (${province.envName}) — 双数据中心容灾拓扑, active site ${province.activeSite}`, 20, 'bold'),
    text(MARGIN, 54, `DR pairs sync ${province.activeSite} -> ${province.activeSite === 'A' ? 'B' : 'A'} (orange); gateway path through each site's gatekeeper (blue)`, 12, 'normal', 'start', colors.neutral),
  );
  for (const site of SITES) {
    const x = columnX(site);
    for (const zone of ZONES) {
      const unit = unitOf(province, zone, site);
      const y = rowY(zone);
      const active = unit.active;
      parts.push(box(x, y, CELL_W, CELL_H, zone === 'public' ? '#f0f7ff' : '#fdf6ec', active ? '#0f766e' : '#9aa5b1'));
      parts.push(text(x + 14, y + 24, `${ZONE_NAMES_ZH[zone]} · ${SITE_NAMES_ZH[site]}${active ? ' (active 生产)' : ' (standby 灾备)'}`, 15, 'bold'));
      parts.push(text(x + 14, y + 42, `${unit.stackName} · ${unit.applications.length} applications`, 12, 'normal', 'start', colors.neutral));
      const counts = groupCounts(province, unit);
      parts.push(box(x + 14, y + 56, 240, 50, '#ffffff', colors.neutral));
      parts.push(text(x + 24, y + 76, `负载均衡 LB ${unit.ingressVip}`, 13, 'bold'));
      parts.push(text(x + 24, y + 95, `${counts.working} working / ${counts.standby} standby groups`, 12));
      if (province.gateway) {
        parts.push(box(x + 270, y + 56, 236, 50, '#ffffff', colors.gateway));
        parts.push(text(x + 280, y + 76, '服务网关 gateway (Kong)', 13, 'bold', 'start', colors.gateway));
        parts.push(text(x + 280, y + 95, zone === 'public' ? `${province.gateway.institutions.length} institutions` : 'from the gatekeeper only', 12));
      }
      parts.push(text(x + 14, y + 132, 'DR pairs (灾备组)', 12, 'bold', 'start', colors.sync));
      pairsOf(unit).forEach((role, i) => {
        const mode = unit.middlewarePlan.redis.find((r) => r.role === role)?.mode ?? (role === 'kafka' ? unit.middlewarePlan.kafka?.mode : unit.middlewarePlan.fastdfs?.mode);
        parts.push(box(x + 14, y + pairRowY(i) - 16, 300, 26, mode === 'primary' ? '#ffedd5' : '#ffffff', colors.sync, 5));
        parts.push(text(x + 22, y + pairRowY(i) + 2, `${role} ${unit.middlewareVips[role]} · ${mode}`, 12));
      });
      if (others(unit).length > 0) parts.push(text(x + 14, y + CELL_H - 14, `also at this site: ${others(unit).join(', ')}`, 12, 'normal', 'start', colors.neutral));
    }
    // The gatekeeper between the zones of this site, and the gateway path through it.
    const gy = rowY('public') + CELL_H + 10;
    const publicUnit = unitOf(province, 'public', site);
    const coreUnit = unitOf(province, 'core', site);
    parts.push(box(x + CELL_W / 2 - 150, gy, 300, GATE_H - 20, '#eef2ff', colors.gateway, 20));
    parts.push(text(x + CELL_W / 2, gy + 20, `网闸 gatekeeper ${site}`, 13, 'bold', 'middle', colors.gateway));
    parts.push(text(x + CELL_W / 2, gy + 38, `${publicUnit.gatekeeper} | ${coreUnit.gatekeeper}`, 12, 'normal', 'middle', colors.gateway));
    const gx = x + 388;
    parts.push(arrow(gx, rowY('public') + 106, gx, gy, colors.gateway, undefined, province.gateway === undefined));
    parts.push(arrow(gx, gy + GATE_H - 20, gx, rowY('core') + 56, colors.gateway, undefined, province.gateway === undefined));
  }
  // Sync arrows: from the active site's member of each pair to the standby's.
  const from = province.activeSite;
  const to: Site = from === 'A' ? 'B' : 'A';
  for (const zone of ZONES) {
    pairsOf(unitOf(province, zone, from)).forEach((role, i) => {
      const y = rowY(zone) + pairRowY(i) - 3;
      const [x1, x2] = from === 'A' ? [columnX('A') + 314, columnX('B') + 14] : [columnX('B') + 14, columnX('A') + 314];
      parts.push(arrow(x1, y, x2, y, colors.sync, i === 0 ? 'sync' : undefined));
      parts.push(`<!-- pair ${zone}/${role}: ${from} -> ${to} -->`);
    });
  }
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
