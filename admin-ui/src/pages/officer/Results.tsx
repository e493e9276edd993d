// The published results of an awarded round, for everyone: per lot the winners, their
// prices and unit comparable prices, the change against the ceiling and the previous price,
// volumes and supply regions; a chart of the price drops. A supplier also sees, bid by bid,
// whether and why its own bids won.
import { PageContainer } from '@ant-design/pro-components';
import { Alert, Card, Col, Collapse, Descriptions, Row, Space, Statistic, Table, Tag, Typography } from 'antd';
import { useEffect, useMemo, useState } from 'react';
import { Link, useParams } from 'react-router';
import { api, must, type Schemas } from '../../api/client';
import { problemOf } from '../../api/problem';
import { useAuth } from '../../auth';
import { useI18n } from '../../i18n';
import Loading from '../../components/Loading';
import Chart, { type ChartOption } from '../../components/Chart';
import { cst, money, provinceName, useProvinces } from '../../components/format';
import { LotStatusTag, WonTag, pct, pctNumber, units, unsuccessfulText, useSay, winnerReasonText, word } from './shared';

type Results = Schemas['Results'];
type LotResult = Schemas['LotResult'];
type Winner = Schemas['WinnerResult'];
type Line = Schemas['AllocationLine'];
type Receipt = Schemas['Receipt'];

/** A change against a reference, with its direction in words (not colour alone). */
function Change({ v }: { v: string | null | undefined }) {
  const { t } = useI18n();
  if (v == null) return <>—</>;
  const down = v.trim().startsWith('-');
  return (
    <Typography.Text type={down ? 'success' : undefined}>
      {down ? t('officer.results.down', { p: pct(v).replace('-', '') }) : t('officer.results.up', { p: pct(v) })}
    </Typography.Text>
  );
}

function DropChart({ results }: { results: Results }) {
  const { t } = useI18n();
  const option = useMemo<ChartOption>(() => {
    const lots = results.lots.filter((l) => l.status === 'successful');
    const label = (l: LotResult) => t('officer.lots.lotShort', { n: l.number, name: l.generic_name });
    const drop = (v: string | null | undefined) => {
      const n = pctNumber(v);
      return n == null ? null : -n;
    };
    return {
      tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' }, valueFormatter: (v: unknown) => (v == null ? '—' : `${v}%`) },
      legend: { top: 0 },
      grid: { left: 8, right: 16, top: 36, bottom: 8, containLabel: true },
      xAxis: { type: 'category', data: lots.map(label), axisLabel: { interval: 0, rotate: lots.length > 4 ? 30 : 0, width: 120, overflow: 'truncate' } },
      yAxis: { type: 'value', name: t('officer.results.dropAxis'), axisLabel: { formatter: '{value}%' } },
      series: [
        {
          type: 'bar',
          name: t('officer.results.avgDrop'),
          data: lots.map((l) => drop(l.average_change_vs_ceiling)),
          itemStyle: { color: '#a61d24' },
          label: { show: true, position: 'top', formatter: '{c}%' },
        },
        {
          type: 'bar',
          name: t('officer.results.maxDrop'),
          data: lots.map((l) => {
            const drops = l.winners.map((w) => drop(w.change_vs_ceiling)).filter((x): x is number => x != null);
            return drops.length ? Math.max(...drops) : null;
          }),
          itemStyle: { color: '#d89614' },
          label: { show: true, position: 'top', formatter: '{c}%' },
        },
      ],
    };
  }, [results, t]);
  return <Chart option={option} height={340} label={t('officer.results.chartLabel', { round: results.name })} />;
}

function WinnersTable({ lot }: { lot: LotResult }) {
  const { t } = useI18n();
  const { me } = useAuth();
  return (
    <Table<Winner>
      size="small"
      rowKey={(w) => `${w.supplier_org_id}-${w.product_code}`}
      dataSource={lot.winners}
      pagination={false}
      scroll={{ x: 1200 }}
      data-testid={`winners-${lot.number}`}
      locale={{ emptyText: t('officer.results.noWinners') }}
      columns={[
        { title: t('officer.eval.rank'), dataIndex: 'rank', width: 60 },
        {
          title: t('officer.eval.winner'),
          dataIndex: 'supplier_name',
          render: (v: string, w) => (
            <Space size={4} wrap>
              <span data-testid="winner-name">{v}</span>
              {me?.org_id === w.supplier_org_id && <Tag color="gold">{t('officer.results.you')}</Tag>}
            </Space>
          ),
        },
        { title: t('officer.eval.ucp'), dataIndex: 'ucp', align: 'right', render: (v?: string | null) => money(v) },
        { title: t('officer.results.vsCeiling'), dataIndex: 'change_vs_ceiling', align: 'right', render: (v?: string | null) => <Change v={v} /> },
        { title: t('officer.results.vsPrevious'), dataIndex: 'change_vs_previous', align: 'right', render: (v?: string | null) => <Change v={v} /> },
        { title: t('officer.results.price'), dataIndex: 'unit_price', align: 'right', render: (v: string) => money(v) },
        { title: t('officer.eval.product'), dataIndex: 'product_code' },
        { title: t('officer.eval.reason'), dataIndex: 'reason', width: 320, render: (v: string) => <span style={{ whiteSpace: 'normal' }}>{winnerReasonText(t, v)}</span> },
      ]}
    />
  );
}

function RegionsTable({ lines }: { lines: Line[] }) {
  const { t, lang } = useI18n();
  const provinces = useProvinces();
  return (
    <Table<Line>
      size="small"
      rowKey={(l) => `${l.province}-${l.bid_id}`}
      dataSource={lines}
      pagination={lines.length > 12 ? { pageSize: 12, showSizeChanger: false } : false}
      scroll={{ x: 1100 }}
      columns={[
        { title: t('common.province'), dataIndex: 'province', render: (v: string, l) => provinceName(provinces, v, lang) || l.province_name },
        { title: t('officer.results.supplier'), dataIndex: 'supplier_name', width: 220, ellipsis: true },
        { title: t('officer.eval.agreed'), dataIndex: 'agreed_volume', align: 'right', render: (v: number) => units(v) },
        { title: t('officer.results.price'), dataIndex: 'unit_price', align: 'right', render: (v: string) => money(v) },
        { title: t('officer.eval.amount'), dataIndex: 'annual_amount', align: 'right', render: (v: string) => money(v) },
        { title: t('officer.eval.demand'), dataIndex: 'annual_demand', align: 'right', render: (v: number) => units(v) },
        {
          title: t('officer.eval.backup'),
          key: 'backup',
          render: (_, l) => (l.backup ? `${l.backup.supplier_name} (${money(l.backup.unit_price)})` : t('common.none')),
        },
      ]}
    />
  );
}

function LotCard({ lot }: { lot: LotResult }) {
  const { t, has } = useI18n();
  return (
    <Space direction="vertical" size="middle" style={{ width: '100%' }} data-testid={`lot-result-${lot.number}`}>
      <Descriptions size="small" column={{ xs: 1, sm: 1, md: 2, lg: 2, xl: 3, xxl: 4 }}>
        <Descriptions.Item label={t('officer.catalog.dosageForm')}>{word(t, has, 'form', lot.dosage_form)}</Descriptions.Item>
        <Descriptions.Item label={t('officer.lots.representative')}>{lot.representative_code}</Descriptions.Item>
        <Descriptions.Item label={t('officer.lots.ceiling')}>{money(lot.ceiling)}</Descriptions.Item>
        <Descriptions.Item label={t('officer.lots.previous')}>{money(lot.previous_price)}</Descriptions.Item>
        <Descriptions.Item label={t('officer.eval.validBidders')}>{lot.valid_bidders}</Descriptions.Item>
        <Descriptions.Item label={t('officer.results.avgVsCeiling')}>
          <Change v={lot.average_change_vs_ceiling} />
        </Descriptions.Item>
        <Descriptions.Item label={t('officer.results.avgVsPrevious')}>
          <Change v={lot.average_change_vs_previous} />
        </Descriptions.Item>
        <Descriptions.Item label={t('officer.eval.volumeRatio')}>{lot.volume_ratio ?? '—'}</Descriptions.Item>
        <Descriptions.Item label={t('officer.eval.totalDemand')}>{units(lot.total_demand)}</Descriptions.Item>
        <Descriptions.Item label={t('officer.eval.agreed')}>{units(lot.agreed_volume)}</Descriptions.Item>
        <Descriptions.Item label={t('officer.eval.amount')}>{money(lot.annual_amount)}</Descriptions.Item>
        <Descriptions.Item label={t('officer.eval.cycle')}>
          {lot.cycle_start ? t('officer.results.cycle', { from: lot.cycle_start, to: lot.cycle_end ?? '' }) : '—'}
        </Descriptions.Item>
      </Descriptions>
      {lot.status !== 'successful' && (
        <Alert type="warning" showIcon message={t('officer.eval.unsuccessful', { why: unsuccessfulText(t, lot.unsuccessful_reason) })} />
      )}
      <WinnersTable lot={lot} />
      {lot.allocations.length > 0 && (
        <>
          <Typography.Title level={2} style={{ margin: 0, fontSize: 16 }}>
            {t('officer.results.regions')}
          </Typography.Title>
          <RegionsTable lines={lot.allocations} />
        </>
      )}
    </Space>
  );
}

/** A supplier's own bids, each with whether and why it won (the results name winners only). */
function MyBids({ results, receipts }: { results: Results; receipts: Receipt[] }) {
  const { t } = useI18n();
  const { me } = useAuth();
  const lots = new Map(results.lots.map((l) => [l.lot_id, l]));
  const rows = receipts
    .filter((r) => r.status === 'live' || r.status === 'invalidated')
    .map((r) => {
      const lot = lots.get(r.lot_id);
      const win = lot?.winners.find((w) => w.supplier_org_id === me?.org_id);
      let why: string;
      if (r.status === 'invalidated') why = t('officer.results.mine.invalidated');
      else if (!lot) why = '—';
      else if (win) why = winnerReasonText(t, win.reason);
      else if (lot.status !== 'successful') why = t('officer.eval.unsuccessful', { why: unsuccessfulText(t, lot.unsuccessful_reason) });
      else {
        const highest = lot.winners.reduce<string | null>((m, w) => (w.ucp && (m === null || Number(w.ucp) > Number(m)) ? w.ucp : m), null);
        why = t('officer.results.mine.lost', { ucp: money(highest) });
      }
      return { key: r.bid_id, lot, won: !!win && r.status === 'live', why, submitted: r.submitted_at, price: win?.unit_price };
    });
  if (rows.length === 0) return null;
  return (
    <Card title={t('officer.results.mine.title')} data-testid="my-results">
      <Table
        size="small"
        rowKey="key"
        dataSource={rows}
        pagination={false}
        scroll={{ x: 'max-content' }}
        columns={[
          { title: t('officer.lots.generic'), key: 'lot', render: (_, r) => (r.lot ? t('officer.lots.lotShort', { n: r.lot.number, name: r.lot.generic_name }) : '—') },
          { title: t('officer.eval.outcome'), key: 'won', render: (_, r) => <WonTag won={r.won} /> },
          { title: t('officer.results.price'), key: 'price', align: 'right', render: (_, r) => money(r.price) },
          { title: t('officer.eval.reason'), key: 'why', render: (_, r) => <span style={{ whiteSpace: 'normal' }}>{r.why}</span> },
          { title: t('officer.results.mine.submitted'), key: 'at', render: (_, r) => cst(r.submitted) },
        ]}
      />
      <Typography.Paragraph type="secondary" style={{ marginTop: 12, marginBottom: 0 }}>
        {t('officer.results.mine.note')}
      </Typography.Paragraph>
    </Card>
  );
}

export default function ResultsPage() {
  const { id = '' } = useParams();
  const { t } = useI18n();
  const { me } = useAuth();
  const say = useSay();
  const [results, setResults] = useState<Results | null>(null);
  const [receipts, setReceipts] = useState<Receipt[]>([]);
  const [error, setError] = useState<{ text: string; unpublished: boolean } | null>(null);

  useEffect(() => {
    let alive = true;
    must(api.GET('/api/v1/rounds/{id}/results', { params: { path: { id } } }))
      .then((r) => alive && setResults(r))
      .catch((e) => alive && setError({ text: say(e), unpublished: problemOf(e).code === 'results_not_published' }));
    return () => {
      alive = false;
    };
  }, [id, say]);

  useEffect(() => {
    if (me?.role !== 'supplier') return;
    let alive = true;
    must(api.GET('/api/v1/rounds/{id}/bids', { params: { path: { id }, query: { per_page: 200 } } }))
      .then((p) => alive && setReceipts(p.items))
      .catch(() => alive && setReceipts([]));
    return () => {
      alive = false;
    };
  }, [id, me?.role]);

  if (error) {
    return (
      <PageContainer title={t('menu.results')}>
        <Alert
          type={error.unpublished ? 'info' : 'error'}
          showIcon
          message={error.unpublished ? t('officer.results.notYet') : error.text}
          action={<Link to="/rounds">{t('menu.rounds')}</Link>}
        />
      </PageContainer>
    );
  }
  if (!results) return <Loading />;
  const s = results.summary;
  const oversight = me?.role === 'procurement_officer' || me?.role === 'auditor' || me?.role === 'admin';
  return (
    <PageContainer
      title={results.name}
      content={
        <Space wrap size="large">
          <span>{t('officer.results.awardedAt', { at: cst(results.awarded_at) })}</span>
          {results.cycle_start && <span>{t('officer.results.cycleStart', { d: results.cycle_start })}</span>}
          <span>{t(`officer.preset.${results.preset}`)}</span>
          {oversight && <Link to={`/rounds/${results.round_id}/manage`}>{t('round.manage')}</Link>}
        </Space>
      }
    >
      <Space direction="vertical" size="large" style={{ width: '100%' }}>
        <Card data-testid="results-summary">
          <Row gutter={[24, 16]}>
            <Col xs={12} md={8} xl={4}>
              <Statistic title={t('officer.results.lots')} value={s.lots} />
            </Col>
            <Col xs={12} md={8} xl={4}>
              <Statistic title={t('officer.results.successfulLots')} value={s.successful_lots} />
            </Col>
            <Col xs={12} md={8} xl={4}>
              <Statistic title={t('officer.results.winningBids')} value={s.winning_bids} />
            </Col>
            <Col xs={12} md={8} xl={4}>
              <Statistic title={t('officer.results.annualAmount')} value={money(s.annual_amount)} />
            </Col>
            <Col xs={12} md={8} xl={4}>
              <Statistic title={t('officer.results.avgVsCeiling')} value={s.average_change_vs_ceiling ? pct(s.average_change_vs_ceiling) : '—'} />
            </Col>
            <Col xs={12} md={8} xl={4}>
              <Statistic title={t('officer.results.avgVsPrevious')} value={s.average_change_vs_previous ? pct(s.average_change_vs_previous) : '—'} />
            </Col>
          </Row>
        </Card>
        {me?.role === 'supplier' && <MyBids results={results} receipts={receipts} />}
        {s.successful_lots > 0 && (
          <Card title={t('officer.results.dropTitle')}>
            <DropChart results={results} />
          </Card>
        )}
        <Card title={t('officer.results.byLot')}>
          <Collapse
            defaultActiveKey={results.lots.map((l) => l.lot_id)}
            items={results.lots.map((l) => ({
              key: l.lot_id,
              label: (
                <Space wrap>
                  <span>{t('officer.lots.lotTitle', { n: l.number, name: l.generic_name })}</span>
                  <LotStatusTag status={l.status} />
                  <Typography.Text type="secondary">{t('officer.results.winnersCount', { n: l.winners.length })}</Typography.Text>
                </Space>
              ),
              children: <LotCard lot={l} />,
            }))}
          />
        </Card>
      </Space>
    </PageContainer>
  );
}
