// Contract execution progress (协议执行进度): ordered, shipped and accepted against the quota
// per hospital, contract, province or lot, with the "behind" flag (accepted below the
// province's threshold of the quota's elapsed share), as a chart and a table.
import { useEffect, useMemo, useState } from 'react';
import { PageContainer } from '@ant-design/pro-components';
import { Alert, Card, Form, Segmented, Select, Space, Table, Tag, Typography } from 'antd';
import { api, must, type Schemas } from '../../api/client';
import { useAuth } from '../../auth';
import Chart, { type ChartOption } from '../../components/Chart';
import { money, provinceName, useProvinces } from '../../components/format';
import Loading from '../../components/Loading';
import { useI18n } from '../../i18n';
import { contractLookup, explain, hospitalLookup, lotLookup, shortId, TONE, units, useAwardedRounds, useLookup, usePreloadedContracts } from './shared';

type GroupBy = Schemas['GroupBy'];
type Row = Schemas['ProgressRow'];
const GROUPS: GroupBy[] = ['hospital', 'contract', 'province', 'lot'];
const CHART_MAX = 20;

export default function Progress() {
  const { me } = useAuth();
  const { t, has, lang } = useI18n();
  const provinces = useProvinces();
  const rounds = useAwardedRounds();
  const [group, setGroup] = useState<GroupBy>(me?.role === 'hospital' ? 'contract' : 'hospital');
  const [round, setRound] = useState<string | undefined>(undefined);
  const [data, setData] = useState<Schemas['Progress'] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  usePreloadedContracts();

  useEffect(() => {
    let alive = true;
    setLoading(true);
    setError(null);
    must(api.GET('/api/v1/progress', { params: { query: { group_by: group, round_id: round } } }))
      .then((p) => alive && setData(p))
      .catch((e) => alive && setError(explain(t, has, e)))
      .finally(() => alive && setLoading(false));
    return () => {
      alive = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [group, round]);

  const rows = data && data.group_by === group ? data.rows : [];
  const keys = rows.map((r) => r.key);
  const hospital = useLookup(hospitalLookup, group === 'hospital' ? keys.filter((k) => k !== me?.org_id) : []);
  const contract = useLookup(contractLookup, group === 'contract' ? keys : []);
  const lot = useLookup(lotLookup, group === 'lot' ? keys : []);
  const nameOf = (key: string): string => {
    switch (group) {
      case 'hospital':
        return key === me?.org_id ? me.org_name : hospital(key) ?? shortId(key);
      case 'contract': {
        const c = contract(key);
        return c ? `${c.generic_name} · ${c.supplier_name}` : shortId(key);
      }
      case 'lot': {
        const c = lot(key);
        return c ? `${t('buyer.contract.lotN', { n: c.lot_number })} ${c.generic_name}` : shortId(key);
      }
      default:
        return provinceName(provinces, key, lang);
    }
  };
  const named = rows.map((r) => ({ ...r, name: nameOf(r.key) }));
  const nameKey = named.map((r) => r.name).join('|');

  const shown = useMemo(() => [...named].sort((a, b) => b.quota - a.quota).slice(0, CHART_MAX), [nameKey, rows]); // eslint-disable-line react-hooks/exhaustive-deps
  const option = useMemo<ChartOption>(
    () => ({
      tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
      legend: { top: 0 },
      grid: { left: 8, right: 8, bottom: 8, top: 40, containLabel: true },
      xAxis: {
        type: 'category',
        data: shown.map((r) => r.name),
        axisLabel: { interval: 0, rotate: shown.length > 4 ? 30 : 0, width: 140, overflow: 'truncate' },
      },
      yAxis: { type: 'value', name: t('buyer.progress.unitsAxis') },
      series: [
        { name: t('buyer.progress.quota'), type: 'bar', data: shown.map((r) => r.quota), itemStyle: { color: '#bfbfbf' } },
        { name: t('buyer.progress.ordered'), type: 'bar', data: shown.map((r) => r.ordered), itemStyle: { color: '#1677ff' } },
        { name: t('buyer.progress.shipped'), type: 'bar', data: shown.map((r) => r.shipped), itemStyle: { color: '#fa8c16' } },
        { name: t('buyer.progress.accepted'), type: 'bar', data: shown.map((r) => r.accepted), itemStyle: { color: '#52c41a' } },
        {
          name: t('buyer.progress.expected'),
          type: 'line',
          data: shown.map((r) => Number(r.expected)),
          symbol: 'diamond',
          symbolSize: 10,
          lineStyle: { opacity: 0 },
          itemStyle: { color: '#a61d24' },
        },
      ],
    }),
    [shown, t],
  );

  const behind = named.filter((r) => r.behind).length;
  return (
    <PageContainer title={t('menu.progress')} content={t('buyer.progress.explain')}>
      <Card size="small" style={{ marginBottom: 16 }}>
        <Form layout="inline" style={{ rowGap: 8 }}>
          <Form.Item label={t('buyer.progress.groupBy')}>
            <Segmented<GroupBy>
              value={group}
              onChange={(g) => setGroup(g)}
              options={GROUPS.map((g) => ({ value: g, label: t(`buyer.progress.by.${g}`) }))}
              data-testid="progress-group"
              aria-label={t('buyer.progress.groupBy')}
            />
          </Form.Item>
          <Form.Item label={t('buyer.contract.round')} htmlFor="progress-round">
            <Select
              id="progress-round"
              allowClear
              style={{ width: 280, maxWidth: '80vw' }}
              placeholder={t('common.all')}
              value={round}
              onChange={(v) => setRound(v)}
              options={rounds.map((r) => ({ value: r.id, label: r.name }))}
            />
          </Form.Item>
        </Form>
      </Card>
      {error && <Alert type="error" message={error} style={{ marginBottom: 16 }} />}
      {loading && !data ? (
        <Loading />
      ) : (
        <>
          <Card size="small" style={{ marginBottom: 16 }}>
            <Space wrap style={{ marginBottom: 8 }}>
              {data && <Typography.Text type="secondary">{t('buyer.progress.today', { today: data.today })}</Typography.Text>}
              {behind > 0 ? (
                <Tag color={TONE.red}>{t('buyer.progress.behindCount', { n: behind })}</Tag>
              ) : (
                rows.length > 0 && <Tag color={TONE.green}>{t('buyer.progress.noneBehind')}</Tag>
              )}
              {named.length > CHART_MAX && <Typography.Text type="secondary">{t('buyer.progress.chartTop', { n: CHART_MAX })}</Typography.Text>}
            </Space>
            {shown.length > 0 ? (
              <Chart option={option} height={360} label={t('buyer.progress.chartLabel', { by: t(`buyer.progress.by.${group}`) })} />
            ) : (
              !loading && <Typography.Paragraph type="secondary">{t('buyer.progress.empty')}</Typography.Paragraph>
            )}
          </Card>
          <Table
            rowKey="key"
            size="small"
            loading={loading}
            dataSource={named}
            scroll={{ x: 'max-content' }}
            pagination={{ defaultPageSize: 20, showSizeChanger: true, hideOnSinglePage: true }}
            data-testid="progress-table"
            columns={[
              { title: t(`buyer.progress.by.${group}`), dataIndex: 'name' },
              { title: t('buyer.progress.quota'), dataIndex: 'quota', align: 'right', render: (v) => units(v as number) },
              { title: t('buyer.progress.expected'), dataIndex: 'expected', align: 'right', render: (v) => money(v as string) },
              { title: t('buyer.progress.ordered'), dataIndex: 'ordered', align: 'right', render: (v) => units(v as number) },
              { title: t('buyer.progress.shipped'), dataIndex: 'shipped', align: 'right', render: (v) => units(v as number) },
              { title: t('buyer.progress.accepted'), dataIndex: 'accepted', align: 'right', render: (v) => units(v as number) },
              {
                title: t('buyer.progress.rate'),
                align: 'right',
                render: (_, r: Row) => (r.quota > 0 ? `${((r.accepted / r.quota) * 100).toFixed(1)}%` : '—'),
              },
              {
                title: t('buyer.progress.behind'),
                dataIndex: 'behind',
                render: (_, r: Row) =>
                  r.behind ? <Tag color={TONE.red}>{t('buyer.progress.behindYes')}</Tag> : <Tag color={TONE.green}>{t('buyer.progress.behindNo')}</Tag>,
              },
              ...(group === 'hospital'
                ? []
                : [{ title: t('buyer.progress.behindHospitals'), dataIndex: 'behind_hospitals', align: 'right' as const }]),
            ]}
          />
        </>
      )}
    </PageContainer>
  );
}
