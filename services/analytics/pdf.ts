import PDFDocument from 'pdfkit';
import type { ReportRow } from './custom-report.ts';
import type { costReport, funnelReport, kFactorReport, Window } from './metrics.ts';

/**
 * The per-campaign PDF report (GET /v1/analytics/campaigns/:id/report.pdf): headline metrics, the
 * funnel as bars and the daily series as lines, drawn as vector paths with pdfkit (no raster images).
 */
export interface CampaignPdfInput {
  campaignId: string;
  window: Window;
  funnel: Awaited<ReturnType<typeof funnelReport>>;
  kFactor: Awaited<ReturnType<typeof kFactorReport>>;
  cost: Awaited<ReturnType<typeof costReport>>;
  series: ReportRow[];
}

const fmt = (v: number | null, digits = 2) => (v === null ? '—' : Number(v.toFixed(digits)).toString());
const pct = (v: number | null) => (v === null ? '—' : `${(v * 100).toFixed(1)}%`);
const COLORS = ['#2563eb', '#16a34a', '#dc2626', '#9333ea'];

export function campaignPdf(input: CampaignPdfInput): Promise<Buffer> {
  const doc = new PDFDocument({ size: 'A4', margin: 48, info: { Title: `Campaign ${input.campaignId}` } });
  const chunks: Buffer[] = [];
  doc.on('data', (b: Buffer) => chunks.push(b));
  const done = new Promise<Buffer>((ok, fail) => {
    doc.on('end', () => ok(Buffer.concat(chunks)));
    doc.on('error', fail);
  });

  doc.fontSize(18).text(`Campaign ${input.campaignId}`);
  doc
    .fontSize(10)
    .fillColor('#555')
    .text(`${input.window.from} to ${input.window.to} (UTC) · definitions: docs/metrics.md`);
  doc.moveDown().fillColor('#000').fontSize(12);
  const f = input.funnel.total;
  const k = input.kFactor;
  const lines = [
    `Participants ${f.participants} · sharers ${f.sharers} · shares ${f.shares}`,
    `Unique clickers ${f.clickers} · referred signups ${f.signups} · referred conversions ${f.conversions}`,
    `Share rate ${pct(f.share_rate)} · click-through ${pct(f.click_through_rate)} · signup rate ${pct(f.signup_rate)} · conversion rate ${pct(f.conversion_rate)}`,
    `K-factor ${fmt(k.k_factor, 3)} (invites per participant ${fmt(k.invites_per_participant)} × invite conversion ${pct(k.invite_conversion)})`,
    `Viral cycle time: median ${k.cycle_time.median_seconds === null ? '—' : `${(k.cycle_time.median_seconds / 3600).toFixed(1)} h`} over ${k.cycle_time.cycles} referrals`,
    ...input.cost.currencies.map(
      (c) =>
        `${c.currency || '(no currency)'}: reward cost ${fmt(c.reward_cost)}, referred revenue ${fmt(c.referred_revenue)}, CPA ${fmt(c.cpa)}, ROI ${fmt(c.roi)}`,
    ),
  ];
  for (const l of lines) doc.text(l);

  // Funnel bars.
  doc.moveDown().fontSize(13).text('Funnel (people)');
  const stages: [string, number][] = [
    ['sharers', f.sharers],
    ['clickers', f.clickers],
    ['signups', f.signups],
    ['conversions', f.conversions],
  ];
  const top = Math.max(1, ...stages.map(([, v]) => v));
  let y = doc.y + 6;
  const x0 = 140;
  const width = 360;
  doc.fontSize(10);
  for (const [i, [label, v]] of stages.entries()) {
    doc.fillColor('#000').text(label, 48, y + 3, { width: 88 });
    doc.rect(x0, y, Math.max(1, (v / top) * width), 16).fill(COLORS[i % COLORS.length] as string);
    doc.fillColor('#000').text(String(v), x0 + Math.max(1, (v / top) * width) + 6, y + 3);
    y += 24;
  }

  // Daily series as polylines.
  doc
    .fillColor('#000')
    .fontSize(13)
    .text('Per day', 48, y + 12);
  const metrics = ['clickers', 'referred_signups', 'referred_conversions'];
  const chartTop = y + 34;
  const chartH = 160;
  const rows = input.series;
  const peak = Math.max(1, ...rows.flatMap((r) => metrics.map((m) => Number(r[m] ?? 0))));
  doc
    .lineWidth(0.5)
    .strokeColor('#999')
    .moveTo(x0, chartTop)
    .lineTo(x0, chartTop + chartH)
    .lineTo(x0 + width, chartTop + chartH)
    .stroke();
  doc
    .fontSize(8)
    .fillColor('#555')
    .text(String(peak), 100, chartTop - 4, { width: 36, align: 'right' });
  doc.text('0', 100, chartTop + chartH - 4, { width: 36, align: 'right' });
  const step = rows.length > 1 ? width / (rows.length - 1) : 0;
  for (const [i, metric] of metrics.entries()) {
    const color = COLORS[i % COLORS.length] as string;
    doc.lineWidth(1.5).strokeColor(color);
    rows.forEach((r, j) => {
      const px = x0 + j * step;
      const py = chartTop + chartH - (Number(r[metric] ?? 0) / peak) * chartH;
      if (j === 0) doc.moveTo(px, py);
      else doc.lineTo(px, py);
    });
    if (rows.length) doc.stroke();
    doc
      .fillColor(color)
      .fontSize(9)
      .text(metric, x0 + i * 120, chartTop + chartH + 8);
  }
  if (rows.length) {
    doc.fillColor('#555').fontSize(8);
    doc.text(String(rows[0]?.bucket ?? '').slice(0, 10), x0, chartTop + chartH + 22);
    doc.text(
      String(rows[rows.length - 1]?.bucket ?? '').slice(0, 10),
      x0 + width - 60,
      chartTop + chartH + 22,
      { width: 60, align: 'right' },
    );
  }
  doc.end();
  return done;
}
