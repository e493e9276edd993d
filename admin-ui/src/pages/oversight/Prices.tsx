// Price monitoring (价格监测): one generic's prices over the awarded rounds (the ceiling, the
// lowest and highest winning unit comparable prices, the previous price), each province's
// winning price per round, what hospitals paid per contract and month, and the alerts (paid
// above the contract; a new ceiling too far above the last win). The generics come from the
// public price index, whose CSV anyone may download.
import { PageContainer } from '@ant-design/pro-components';
import { Alert, Card, Empty, Select, Space, Table, Tag, Typography } from 'antd';
import { DownloadOutlined } from '@ant-design/icons';
import { useEffect, useMemo, useState } from 'react';
import { useSearchParams } from 'react-router';
import { api, must, type Schemas } from '../../api/client';
import { describe } from '../../api/problem';
import Chart, { type ChartOption } from '../../components/Chart';
import { money, provinceName, useProvinces } from '../../components/format';
import Loading from '../../components/Loading';
import { useI18n, type T } from '../../i18n';
import { TONE, units } from '../buyer/shared';
import { pct, word } from '../officer/shared';
import { shortName } from './shared';

type Monitor = Schemas['PriceMonitor'];
type Point = Schemas['PricePoint'];
type Paid = Schemas['PaidPrice'];
type PriceAlert = Schemas['PriceAlertDto'];
type Indexed = Schemas['IndexedGeneric'];

const num = (v: string | null | undefined) => (v == null || v === '' ? null : Number(v));

/** The axis label of a point: the round's name, shortened, and the award's day (the lot when a round has two of the generic). */
function pointLabels(points: Point[]): string[] {
  const perRound = new Map<string, number>();
  for (const p of points) perRound.set(p.round_id, (perRound.get(p.round_id) ?? 0) + 1);
  return points.map((p) => {
    const lot = (perRound.get(p.round_id) ?? 0) > 1 ? ` #${p.lot_number}` : '';
    return `${shortName(p.round_name)}${lot}\n${p.awarded_on}`;
  });
}

function PriceChart({ monitor }: { monitor: Monitor }) {
  const { t } = useI18n();
  const option = useMemo<ChartOption>(() => {
    const pts = monitor.points;
    const line = (name: string, color: string, values: (number | null)[], dashed = false) => ({
      type: 'line',
      name,
      data: values,
      connectNulls: true,
      symbolSize: 8,
      itemStyle: { color },
      lineStyle: { color, type: dashed ? 'dashed' : 'solid', width: 2 },
    });
    return {
      tooltip: { trigger: 'axis', valueFormatter: (v: unknown) => (v == null ? '—' : String(v)) },
      legend: { top: 0 },
      grid: { left: 8, right: 24, top: 40, bottom: 8, containLabel: true },
      xAxis: { type: 'category', data: pointLabels(pts), axisLabel: { interval: 0, width: 110, overflow: 'truncate' } },
      yAxis: { type: 'value', name: t('oversight.price.axis'), scale: true },
      series: [
        line(t('oversight.price.ceiling'), '#a61d24', pts.map((p) => num(p.ceiling)), true),
        line(t('oversight.price.previous'), '#8c8c8c', pts.map((p) => num(p.previous_price)), true),
        line(t('oversight.price.highest'), '#d46b08', pts.map((p) => num(p.highest_winning_ucp))),
        line(t('oversight.price.lowest'), '#237804', pts.map((p) => num(p.lowest_winning_ucp))),
      ],
    };
  }, [monitor, t]);
  return (
    <div data-testid="price-chart" data-generic={monitor.generic_name} data-points={monitor.points.length}>
      <Chart option={option} height={340} label={t('oversight.price.chartLabel', { generic: monitor.generic_name })} />
    </div>
  );
}

function PointsTable({ points }: { points: Point[] }) {
  const { t, has } = useI18n();
  return (
    <Table<Point>
      size="small"
      rowKey="lot_id"
      dataSource={points}
      pagination={false}
      scroll={{ x: 'max-content' }}
      data-testid="price-points"
      columns={[
        { title: t('oversight.price.round'), dataIndex: 'round_name' },
        { title: t('oversight.price.awardedOn'), dataIndex: 'awarded_on' },
        { title: t('oversight.price.lot'), dataIndex: 'lot_number', render: (v: number) => t('buyer.contract.lotN', { n: v }) },
        { title: t('officer.catalog.dosageForm'), dataIndex: 'dosage_form', render: (v?: string | null) => word(t, has, 'form', v) },
        { title: t('officer.lots.representative'), dataIndex: 'representative_code' },
        { title: t('oversight.price.ceiling'), dataIndex: 'ceiling', align: 'right', render: (v?: string | null) => money(v) },
        { title: t('oversight.price.previous'), dataIndex: 'previous_price', align: 'right', render: (v?: string | null) => money(v) },
        { title: t('oversight.price.lowest'), dataIndex: 'lowest_winning_ucp', align: 'right', render: (v?: string | null) => money(v) },
        { title: t('oversight.price.highest'), dataIndex: 'highest_winning_ucp', align: 'right', render: (v?: string | null) => money(v) },
        {
          title: t('common.status'),
          dataIndex: 'status',
          render: (v: string) => (v === 'successful' ? <Tag>{t('oversight.price.successful')}</Tag> : <Tag color={TONE.orange}>{t('oversight.price.unsuccessful')}</Tag>),
        },
      ]}
    />
  );
}

/** Each province's winning price (and UCP) per round: a row per province, a column per point. */
function ProvinceTable({ points }: { points: Point[] }) {
  const { t, lang } = useI18n();
  const provinces = useProvinces();
  const labels = pointLabels(points);
  const rows = useMemo(() => {
    const codes = new Map<string, string>();
    for (const p of points) for (const v of p.provinces) codes.set(v.province, v.province_name);
    return [...codes.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([province, name]) => ({ province, name }));
  }, [points]);
  return (
    <Table<{ province: string; name: string }>
      size="small"
      rowKey="province"
      dataSource={rows}
      pagination={rows.length > 15 ? { pageSize: 15, showSizeChanger: false } : false}
      scroll={{ x: 'max-content' }}
      data-testid="price-provinces"
      locale={{ emptyText: t('oversight.price.noWinners') }}
      columns={[
        {
          title: t('common.province'),
          dataIndex: 'province',
          fixed: 'left',
          render: (v: string, r) => provinceName(provinces, v, lang) || r.name,
        },
        ...points.map((p, i) => ({
          title: <span style={{ whiteSpace: 'pre-line' }}>{labels[i]}</span>,
          key: p.lot_id,
          align: 'right' as const,
          render: (_: unknown, r: { province: string }) => {
            const v = p.provinces.find((x) => x.province === r.province);
            if (!v) return '—';
            return (
              <Space direction="vertical" size={0} style={{ alignItems: 'flex-end' }}>
                <span>{money(v.unit_price)}</span>
                <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                  {t('oversight.price.ucpShort', { ucp: money(v.ucp) })} · {v.supplier_name}
                </Typography.Text>
              </Space>
            );
          },
        })),
      ]}
    />
  );
}

function PaidTable({ paid }: { paid: Paid[] }) {
  const { t, lang } = useI18n();
  const provinces = useProvinces();
  return (
    <Table<Paid>
      size="small"
      rowKey={(p) => `${p.contract_id}-${p.month}`}
      dataSource={paid}
      pagination={{ defaultPageSize: 12, showSizeChanger: true, hideOnSinglePage: true }}
      scroll={{ x: 'max-content' }}
      data-testid="price-paid"
      locale={{ emptyText: t('oversight.price.noPaid') }}
      columns={[
        { title: t('oversight.price.month'), dataIndex: 'month' },
        { title: t('common.province'), dataIndex: 'province', render: (v: string) => provinceName(provinces, v, lang) },
        { title: t('buyer.supplier'), dataIndex: 'supplier_name' },
        { title: t('oversight.price.lines'), dataIndex: 'lines', align: 'right' },
        { title: t('oversight.price.units'), dataIndex: 'units', align: 'right', render: (v: number) => units(v) },
        { title: t('oversight.price.contractPrice'), dataIndex: 'contract_price', align: 'right', render: (v: string) => money(v) },
        { title: t('oversight.price.min'), dataIndex: 'min_price', align: 'right', render: (v: string) => money(v) },
        { title: t('oversight.price.avg'), dataIndex: 'average_price', align: 'right', render: (v: string) => money(v) },
        {
          title: t('oversight.price.max'),
          dataIndex: 'max_price',
          align: 'right',
          render: (v: string, p) =>
            Number(v) > Number(p.contract_price) ? (
              <Space size={4}>
                <span>{money(v)}</span>
                <Tag color={TONE.red}>{t('oversight.price.aboveContract')}</Tag>
              </Space>
            ) : (
              money(v)
            ),
        },
      ]}
    />
  );
}

function alertText(t: T, a: PriceAlert, points: Point[], provinceOf: (code?: string | null) => string, max: string): string {
  const point = points.find((p) => p.lot_id === a.lot_id && p.round_id === a.round_id) ?? points.find((p) => p.round_id === a.round_id);
  const round = point?.round_name ?? a.round_id.slice(0, 8);
  const lot = point ? t('buyer.contract.lotN', { n: point.lot_number }) : '';
  const rise = a.rise != null ? pct(a.rise) : '—';
  if (a.kind === 'paid_above_contract') {
    return t('oversight.alert.paidText', { province: provinceOf(a.province), month: a.month ?? '—', price: money(a.price), reference: money(a.reference), rise, round, lot });
  }
  if (a.kind === 'ceiling_above_last_win') {
    return t('oversight.alert.ceilingText', { round, lot, price: money(a.price), reference: money(a.reference), rise, max: pct(max) });
  }
  return `${a.kind}: ${money(a.price)} / ${money(a.reference)}`;
}

function Alerts({ monitor }: { monitor: Monitor }) {
  const { t, has, lang } = useI18n();
  const provinces = useProvinces();
  const provinceOf = (code?: string | null) => (code ? provinceName(provinces, code, lang) : '—');
  return (
    <Card
      title={t('oversight.alert.title')}
      data-testid="price-alerts"
      data-alerts={monitor.alerts.length}
    >
      <Typography.Paragraph type="secondary">{t('oversight.alert.rule', { max: pct(monitor.max_ceiling_rise) })}</Typography.Paragraph>
      {monitor.alerts.length === 0 ? (
        <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('oversight.alert.none')} />
      ) : (
        <Space direction="vertical" size="small" style={{ width: '100%' }}>
          {monitor.alerts.map((a, i) => (
            <div key={`${a.kind}-${a.lot_id}-${a.contract_id ?? ''}-${a.month ?? ''}-${i}`} data-testid={`price-alert-${a.kind}`} style={{ display: 'flex', gap: 8, alignItems: 'baseline', flexWrap: 'wrap' }}>
              <Tag color={a.kind === 'paid_above_contract' ? TONE.red : TONE.orange} style={{ marginInlineEnd: 0 }}>
                {has(`oversight.alert.kind.${a.kind}`) ? t(`oversight.alert.kind.${a.kind}`) : a.kind}
              </Tag>
              <span style={{ minWidth: 0, flex: '1 1 240px' }}>{alertText(t, a, monitor.points, provinceOf, monitor.max_ceiling_rise)}</span>
            </div>
          ))}
        </Space>
      )}
    </Card>
  );
}

export default function PricesPage() {
  const { t, has } = useI18n();
  const [search, setSearch] = useSearchParams();
  const [generics, setGenerics] = useState<Indexed[] | null>(null);
  const [monitor, setMonitor] = useState<Monitor | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);

  useEffect(() => {
    let alive = true;
    must(api.GET('/api/v1/price-index'))
      .then((list) => {
        if (!alive) return;
        // generics with a history first (two rounds or more), then by name
        const sorted = [...list].sort((a, b) => Number(b.rounds >= 2) - Number(a.rounds >= 2) || a.generic_name.localeCompare(b.generic_name, 'zh'));
        setGenerics(sorted);
      })
      .catch((e) => alive && setError(describe(t, has, e)));
    return () => {
      alive = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  const asked = search.get('generic');
  const generic = asked || generics?.[0]?.generic_name || null;

  useEffect(() => {
    if (!generic) return;
    let alive = true;
    setLoading(true);
    setError(null);
    must(api.GET('/api/v1/monitoring/prices', { params: { query: { generic_name: generic } } }))
      .then((m) => alive && setMonitor(m))
      .catch((e) => {
        if (!alive) return;
        setMonitor(null);
        setError(describe(t, has, e));
      })
      .finally(() => alive && setLoading(false));
    return () => {
      alive = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [generic]);

  const pick = (g: string) => {
    const next = new URLSearchParams(search);
    next.set('generic', g);
    setSearch(next, { replace: true });
  };
  const shown = monitor && monitor.generic_name === generic ? monitor : null;
  const csv = generic ? `/api/v1/price-index/${encodeURIComponent(generic)}?format=csv` : undefined;

  return (
    <PageContainer title={t('menu.prices')} content={t('oversight.price.intro')}>
      <Space direction="vertical" size="large" style={{ width: '100%' }}>
        <Card size="small">
          <Space wrap size="middle" align="center">
            <label htmlFor="generic-picker-input">{t('oversight.generic')}</label>
            <Select
              id="generic-picker-input"
              showSearch
              optionFilterProp="label"
              style={{ width: 320, maxWidth: '100%' }}
              loading={!generics}
              value={generic ?? undefined}
              onChange={pick}
              placeholder={t('oversight.price.pick')}
              notFoundContent={t('oversight.price.noGenerics')}
              options={(generics ?? []).map((g) => ({
                value: g.generic_name,
                label: g.generic_name,
                title: g.generic_name,
                rounds: g.rounds,
              }))}
              optionRender={(o) => (
                <Space size={4} style={{ justifyContent: 'space-between', width: '100%' }}>
                  <span>{o.data.label}</span>
                  <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                    {t('oversight.price.rounds', { n: o.data.rounds })}
                  </Typography.Text>
                </Space>
              )}
              data-testid="generic-picker"
            />
            {csv && (
              <a href={csv} download data-testid="price-csv">
                <DownloadOutlined /> {t('oversight.price.csv')}
              </a>
            )}
          </Space>
        </Card>
        {error && <Alert type="error" showIcon message={error} />}
        {generics && generics.length === 0 && <Empty description={t('oversight.price.noGenerics')} />}
        {generic && !shown && !error && loading && <Loading />}
        {shown && (
          <>
            <Card title={t('oversight.price.chartTitle', { generic: shown.generic_name })}>
              {shown.points.length > 0 ? (
                <>
                  <PriceChart monitor={shown} />
                  <Typography.Paragraph type="secondary" style={{ marginTop: 8, marginBottom: 16 }}>
                    {t('oversight.price.chartNote')}
                  </Typography.Paragraph>
                  <PointsTable points={shown.points} />
                </>
              ) : (
                <Empty description={t('oversight.price.noPoints')} />
              )}
            </Card>
            <Alerts monitor={shown} />
            {shown.points.length > 0 && (
              <Card title={t('oversight.price.byProvince')}>
                <ProvinceTable points={shown.points} />
              </Card>
            )}
            <Card title={t('oversight.price.paidTitle')}>
              <Typography.Paragraph type="secondary">{t('oversight.price.paidNote')}</Typography.Paragraph>
              <PaidTable paid={shown.paid} />
            </Card>
          </>
        )}
      </Space>
    </PageContainer>
  );
}
