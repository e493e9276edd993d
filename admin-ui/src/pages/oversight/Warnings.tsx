// Shortage warnings (短缺预警): per generic and province, the level from the supply problems
// in the sliding window (refusals, confirmed orders not shipped in time, hospitals' shortage
// reports); a chart of the warnings by province, and per warning the affected hospitals, the
// contracts with their backups and the problems. An officer records a supply failure from
// here (the backup takes over) and may run the daily scan now. A centre sees its province's.
import { PageContainer } from '@ant-design/pro-components';
import { Alert, App, Button, Card, Descriptions, Drawer, Empty, Select, Space, Table, Tag, Tooltip, Typography } from 'antd';
import { ReloadOutlined } from '@ant-design/icons';
import { useCallback, useEffect, useMemo, useState, type HTMLAttributes } from 'react';
import { useSearchParams } from 'react-router';
import { api, must, type Schemas } from '../../api/client';
import { describe } from '../../api/problem';
import { useAuth } from '../../auth';
import Chart, { type ChartOption } from '../../components/Chart';
import { money, provinceName, useProvinces, type Province } from '../../components/format';
import Loading from '../../components/Loading';
import { useI18n, type Lang } from '../../i18n';
import { SupplyFailureButton } from '../buyer/ContractActions';
import { OrderDrawer } from '../buyer/OrderView';
import { contractLookup, shortId, StatusTag, TONE, units, useLookup } from '../buyer/shared';
import { LEVEL_CHART, LEVELS, LevelTag } from './shared';

type Warnings = Schemas['Warnings'];
type Warning = Schemas['WarningDto'];
type Option = Schemas['SupplyOption'];
type ProblemRow = Schemas['ProblemDto'];

const KINDS = ['refused', 'not_shipped', 'reported_shortage'] as const;
const KIND_COLORS: Record<string, string> = { refused: TONE.red, not_shipped: TONE.orange, reported_shortage: TONE.purple };
const keyOf = (w: Warning) => `${w.province}-${w.generic_name}`;

function KindTag({ kind, n }: { kind: string; n?: number }) {
  const { t, has } = useI18n();
  const key = `buyer.problems.kind.${kind}`;
  const text = has(key) ? t(key) : kind;
  return <Tag color={KIND_COLORS[kind]}>{n === undefined ? text : `${text} ${n}`}</Tag>;
}

function WarningsChart({ data, provinces, lang }: { data: Warnings; provinces: Province[]; lang: Lang }) {
  const { t } = useI18n();
  const option = useMemo<ChartOption>(() => {
    const bars = data.by_province;
    const names = bars.map((b) => (lang === 'zh' ? b.name || b.province : provinceName(provinces, b.province, lang)));
    return {
      tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
      legend: { top: 0 },
      grid: { left: 8, right: 16, top: 36, bottom: 8, containLabel: true },
      xAxis: { type: 'category', data: names, axisLabel: { interval: 0, rotate: names.length > 6 ? 30 : 0, width: 100, overflow: 'truncate' } },
      yAxis: { type: 'value', minInterval: 1, name: t('oversight.warn.chartAxis') },
      series: (['watch', 'warning', 'alarm'] as const).map((level) => ({
        type: 'bar',
        stack: 'level',
        name: t(`oversight.level.${level}`),
        data: bars.map((b) => b[level]),
        itemStyle: { color: LEVEL_CHART[level] },
        emphasis: { focus: 'series' },
      })),
    };
  }, [data, provinces, lang, t]);
  return (
    <div data-testid="warnings-chart" data-provinces={data.by_province.length}>
      <Chart option={option} height={300} label={t('oversight.warn.chartLabel')} />
    </div>
  );
}

/** The failure button of an active contract, with the contract as the button needs it. */
function FailureFor({ option, onDone }: { option: Option; onDone: () => void }) {
  const get = useLookup(contractLookup, option.status === 'active' ? [option.contract_id] : []);
  if (option.status !== 'active') return null;
  const c = get(option.contract_id);
  if (c === undefined) return <Typography.Text type="secondary">…</Typography.Text>;
  return c ? <SupplyFailureButton contract={c} onDone={onDone} /> : null;
}

function WarningDrawer({
  warning,
  onClose,
  onChanged,
}: {
  warning: Warning | null;
  onClose: () => void;
  onChanged: () => void;
}) {
  const { me } = useAuth();
  const { t, lang } = useI18n();
  const provinces = useProvinces();
  const [orderOpen, setOrderOpen] = useState<string | null>(null);
  const w = warning;
  const officer = me?.role === 'procurement_officer';
  const supplierName = (id: string) => {
    for (const c of w?.contracts ?? []) {
      if (c.supplier_org_id === id) return c.supplier_name;
      if (c.backup_supplier_org_id === id && c.backup_supplier_name) return c.backup_supplier_name;
    }
    return shortId(id);
  };
  const hospitalName = (id: string) => w?.hospitals.find((h) => h.org_id === id)?.name || shortId(id);
  return (
    <Drawer
      open={!!w}
      onClose={onClose}
      width="min(900px, 100vw)"
      title={w ? `${w.generic_name} · ${provinceName(provinces, w.province, lang) || w.province_name}` : ''}
      destroyOnHidden
    >
      {w && (
        <Space direction="vertical" size="large" style={{ width: '100%' }} data-testid="warning-drawer">
          <Descriptions size="small" bordered column={{ xs: 1, sm: 2, md: 2, lg: 2, xl: 2, xxl: 2 }}>
            <Descriptions.Item label={t('oversight.warn.level')}>
              <LevelTag level={w.level} />
            </Descriptions.Item>
            <Descriptions.Item label={t('oversight.warn.fallsBack')}>{w.falls_back_on ?? '—'}</Descriptions.Item>
            <Descriptions.Item label={t('oversight.warn.problems')} span={2}>
              <Space wrap size={4}>
                <span>{w.problems}</span>
                <KindTag kind="refused" n={w.refused} />
                <KindTag kind="not_shipped" n={w.not_shipped} />
                <KindTag kind="reported_shortage" n={w.reported_shortage} />
              </Space>
            </Descriptions.Item>
          </Descriptions>

          <Card size="small" title={t('oversight.warn.hospitals')}>
            <Table<Schemas['AffectedHospital']>
              size="small"
              rowKey="org_id"
              dataSource={w.hospitals}
              pagination={w.hospitals.length > 10 ? { pageSize: 10, showSizeChanger: false } : false}
              scroll={{ x: 'max-content' }}
              data-testid="warning-hospitals"
              columns={[
                { title: t('buyer.hospital'), dataIndex: 'name', render: (v: string, h) => v || shortId(h.org_id) },
                { title: t('oversight.warn.problems'), dataIndex: 'problems', align: 'right' },
              ]}
            />
          </Card>

          <Card size="small" title={t('oversight.warn.contracts')}>
            <Typography.Paragraph type="secondary">{t(officer ? 'oversight.warn.contractsHintOfficer' : 'oversight.warn.contractsHint')}</Typography.Paragraph>
            <Table<Option>
              size="small"
              rowKey="contract_id"
              dataSource={w.contracts}
              pagination={false}
              scroll={{ x: 'max-content' }}
              locale={{ emptyText: t('oversight.warn.noContracts') }}
              columns={[
                {
                  title: t('buyer.supplier'),
                  dataIndex: 'supplier_name',
                  render: (v: string, c) => <span data-testid={`warning-contract-${c.contract_id}`}>{v}</span>,
                },
                { title: t('buyer.contract.unitPrice'), dataIndex: 'unit_price', align: 'right', render: (v: string) => money(v) },
                { title: t('common.status'), dataIndex: 'status', render: (v: string) => <StatusTag kind="contract" status={v} /> },
                {
                  title: t('buyer.contract.backup'),
                  key: 'backup',
                  render: (_, c) =>
                    c.backup_supplier_name ? `${c.backup_supplier_name} · ${money(c.backup_unit_price)}` : t('common.none'),
                },
                ...(officer
                  ? [
                      {
                        title: t('common.actions'),
                        key: 'actions',
                        render: (_: unknown, c: Option) => <FailureFor option={c} onDone={onChanged} />,
                      },
                    ]
                  : []),
              ]}
            />
          </Card>

          <Card size="small" title={t('oversight.warn.recent')}>
            <Table<ProblemRow>
              size="small"
              rowKey={(p) => `${p.kind}-${p.day}-${p.contract_id}-${p.hospital_org_id}-${p.order_id ?? ''}-${p.note ?? ''}`}
              dataSource={w.recent}
              pagination={w.recent.length > 10 ? { pageSize: 10, showSizeChanger: false } : false}
              scroll={{ x: 'max-content' }}
              data-testid="warning-recent"
              columns={[
                { title: t('oversight.warn.day'), dataIndex: 'day' },
                { title: t('buyer.problems.kindTitle'), dataIndex: 'kind', render: (v: string) => <KindTag kind={v} /> },
                { title: t('buyer.hospital'), dataIndex: 'hospital_org_id', render: (v: string) => hospitalName(v) },
                { title: t('buyer.supplier'), dataIndex: 'supplier_org_id', render: (v: string) => supplierName(v) },
                {
                  title: t('buyer.problems.openUnits'),
                  dataIndex: 'open_units',
                  align: 'right',
                  render: (v: number, p) => (p.kind === 'reported_shortage' ? '—' : units(v)),
                },
                {
                  title: t('buyer.problems.reason'),
                  dataIndex: 'note',
                  render: (v?: string | null) =>
                    v ? (
                      <Typography.Text style={{ maxWidth: 240 }} ellipsis={{ tooltip: v }}>
                        {v}
                      </Typography.Text>
                    ) : (
                      '—'
                    ),
                },
                {
                  title: t('common.actions'),
                  key: 'order',
                  render: (_, p) =>
                    p.order_id ? (
                      <Button size="small" type="link" onClick={() => setOrderOpen(p.order_id ?? null)}>
                        {t('buyer.problems.order', { id: shortId(p.order_id) })}
                      </Button>
                    ) : null,
                },
              ]}
            />
          </Card>
          <OrderDrawer id={orderOpen} onClose={() => setOrderOpen(null)} />
        </Space>
      )}
    </Drawer>
  );
}

export default function WarningsPage() {
  const { me } = useAuth();
  const { t, has, lang } = useI18n();
  const { message } = App.useApp();
  const provinces = useProvinces();
  const [search, setSearch] = useSearchParams();
  const centre = me?.role === 'provincial_buyer';
  const canScan = me?.role === 'procurement_officer' || me?.role === 'admin';
  const province = centre ? undefined : search.get('province') || undefined;
  const [data, setData] = useState<Warnings | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  const [reload, setReload] = useState(0);
  const [open, setOpen] = useState<string | null>(null);
  const [scanning, setScanning] = useState(false);
  const [scan, setScan] = useState<Schemas['ScanResult'] | null>(null);

  useEffect(() => {
    let alive = true;
    setLoading(true);
    setError(null);
    must(api.GET('/api/v1/monitoring/warnings', { params: { query: province ? { province } : {} } }))
      .then((r) => alive && setData(r))
      .catch((e) => alive && setError(describe(t, has, e)))
      .finally(() => alive && setLoading(false));
    return () => {
      alive = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [province, reload]);

  const runScan = useCallback(async () => {
    setScanning(true);
    try {
      const r = await must(api.POST('/api/v1/monitoring/supply-scan'));
      setScan(r);
      message.success(t('oversight.warn.scanDone'));
      setReload((x) => x + 1);
    } catch (e) {
      message.error(describe(t, has, e));
    } finally {
      setScanning(false);
    }
  }, [message, t, has]);

  const rows = data?.warnings ?? [];
  const current = open ? rows.find((w) => keyOf(w) === open) ?? null : null;
  const counts = Object.fromEntries(LEVELS.map((l) => [l, rows.filter((w) => w.level === l).length]));
  const r = data?.rules;

  return (
    <PageContainer
      title={t('menu.warnings')}
      content={t(centre ? 'oversight.warn.introCentre' : 'oversight.warn.intro')}
      extra={[
        <Button key="reload" icon={<ReloadOutlined />} onClick={() => setReload((x) => x + 1)} loading={loading && !!data}>
          {t('common.refresh')}
        </Button>,
        ...(canScan
          ? [
              <Button key="scan" type="primary" onClick={runScan} loading={scanning} data-testid="supply-scan">
                {t('oversight.warn.scan')}
              </Button>,
            ]
          : []),
      ]}
    >
      <Space direction="vertical" size="large" style={{ width: '100%' }}>
        {scan && (
          <Alert
            type="success"
            showIcon
            closable
            onClose={() => setScan(null)}
            data-testid="supply-scan-result"
            message={t('oversight.warn.scanResult', { today: scan.today, recorded: scan.recorded, changed: scan.changed })}
          />
        )}
        {error && <Alert type="error" showIcon message={error} />}
        <Card size="small">
          <Space direction="vertical" size="small" style={{ width: '100%' }}>
            <Space wrap size="middle">
              {!centre && (
                <Select
                  allowClear
                  showSearch
                  optionFilterProp="label"
                  placeholder={t('oversight.warn.allProvinces')}
                  aria-label={t('common.province')}
                  style={{ width: 200 }}
                  value={province}
                  onChange={(v?: string) => {
                    const next = new URLSearchParams(search);
                    if (v) next.set('province', v);
                    else next.delete('province');
                    setSearch(next, { replace: true });
                  }}
                  options={provinces.map((p) => ({ value: p.code, label: lang === 'zh' ? p.name_zh : p.name_en }))}
                  data-testid="warnings-province"
                />
              )}
              {data && (
                <Space wrap size={4}>
                  {LEVELS.map((l) => (
                    <Space key={l} size={2}>
                      <LevelTag level={l} />
                      <span>{counts[l]}</span>
                    </Space>
                  ))}
                </Space>
              )}
            </Space>
            {r && (
              <Typography.Text type="secondary" data-testid="warnings-rules">
                {t('oversight.warn.rules', { window: r.window_days, watch: r.watch_at, warning: r.warning_at, alarm: r.alarm_at })}
                {data ? ` ${t('oversight.warn.today', { today: data.today })}` : ''}
              </Typography.Text>
            )}
          </Space>
        </Card>
        {!data && !error && <Loading />}
        {data && (
          <Card title={t('oversight.warn.chartTitle')}>
            {data.by_province.length > 0 ? (
              <WarningsChart data={data} provinces={provinces} lang={lang} />
            ) : (
              <Empty description={t('oversight.warn.none')} data-testid="warnings-empty" />
            )}
          </Card>
        )}
        {data && (
          <Card title={t('oversight.warn.listTitle')}>
            <Table<Warning>
              rowKey={keyOf}
              size="small"
              loading={loading}
              dataSource={rows}
              scroll={{ x: 'max-content' }}
              pagination={{ defaultPageSize: 20, showSizeChanger: true, hideOnSinglePage: true, showTotal: (n) => t('common.total', { total: n }) }}
              locale={{ emptyText: t('oversight.warn.none') }}
              data-testid="warnings-table"
              onRow={(w) => ({ 'data-testid': `warning-row-${keyOf(w)}`, 'data-level': w.level }) as HTMLAttributes<HTMLElement>}
              columns={[
                {
                  title: t('oversight.warn.level'),
                  dataIndex: 'level',
                  filters: LEVELS.map((l) => ({ value: l, text: t(`oversight.level.${l}`) })),
                  onFilter: (v, w) => w.level === v,
                  render: (v: string) => <LevelTag level={v} />,
                },
                { title: t('oversight.generic'), dataIndex: 'generic_name' },
                ...(centre
                  ? []
                  : [
                      {
                        title: t('common.province'),
                        dataIndex: 'province',
                        render: (_: unknown, w: Warning) => provinceName(provinces, w.province, lang) || w.province_name,
                      },
                    ]),
                {
                  title: t('oversight.warn.problems'),
                  dataIndex: 'problems',
                  sorter: (a, b) => a.problems - b.problems,
                  render: (_, w) => (
                    <Space wrap size={4}>
                      <strong>{w.problems}</strong>
                      {KINDS.filter((k) => w[k] > 0).map((k) => (
                        <KindTag key={k} kind={k} n={w[k]} />
                      ))}
                    </Space>
                  ),
                },
                { title: t('oversight.warn.hospitalsN'), key: 'hospitals', align: 'right', render: (_, w) => w.hospitals.length },
                {
                  title: (
                    <Tooltip title={t('oversight.warn.fallsBackHint')}>
                      <span>{t('oversight.warn.fallsBack')}</span>
                    </Tooltip>
                  ),
                  dataIndex: 'falls_back_on',
                  render: (v?: string | null) => v ?? '—',
                },
                {
                  title: t('common.actions'),
                  key: 'actions',
                  render: (_, w) => (
                    <Button size="small" type="link" onClick={() => setOpen(keyOf(w))} data-testid={`warning-open-${keyOf(w)}`}>
                      {t('common.details')}
                    </Button>
                  ),
                },
              ]}
            />
          </Card>
        )}
      </Space>
      <WarningDrawer warning={current} onClose={() => setOpen(null)} onChanged={() => setReload((x) => x + 1)} />
    </PageContainer>
  );
}
