// Supply problems (短缺预警): orders refused by their supplier, confirmed orders not wholly
// shipped within the delivery term, and shortages hospitals reported. A centre sees its
// province's; officers all, and may record a supply failure from here (the backup takes over).
import { useEffect, useState } from 'react';
import { PageContainer } from '@ant-design/pro-components';
import { Alert, Button, Card, Form, InputNumber, Space, Table, Tag, Typography } from 'antd';
import { api, must, type Schemas } from '../../api/client';
import { useAuth } from '../../auth';
import { cst, provinceName, useProvinces } from '../../components/format';
import { useI18n } from '../../i18n';
import { SupplyFailureButton } from './ContractActions';
import { OrderDrawer } from './OrderView';
import { contractLookup, ContractName, explain, HospitalName, shortId, TONE, units, useLookup, usePreloadedContracts } from './shared';

type Problem = Schemas['SupplyProblem'];
const KINDS = ['refused', 'not_shipped', 'reported_shortage'];
const KIND_COLORS: Record<string, string> = { refused: TONE.red, not_shipped: TONE.orange, reported_shortage: TONE.purple };

function SupplierOf({ p }: { p: Problem }) {
  const get = useLookup(contractLookup, p.contract_ids);
  const c = p.contract_ids.map(get).find((x) => x && x.supplier_org_id === p.supplier_org_id);
  return c ? <>{c.supplier_name}</> : <Typography.Text code>{shortId(p.supplier_org_id)}</Typography.Text>;
}

function FailureAction({ p, onDone }: { p: Problem; onDone: () => void }) {
  const get = useLookup(contractLookup, p.contract_ids);
  const c = p.contract_ids.map(get).find((x) => x && x.status === 'active');
  return c ? <SupplyFailureButton contract={c} onDone={onDone} /> : null;
}

export default function SupplyProblems() {
  const { me } = useAuth();
  const { t, has, lang } = useI18n();
  const provinces = useProvinces();
  const [term, setTerm] = useState<number>(7);
  const [applied, setApplied] = useState<number>(7);
  const [rows, setRows] = useState<Problem[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  const [reload, setReload] = useState(0);
  const [orderOpen, setOrderOpen] = useState<string | null>(null);
  usePreloadedContracts();

  useEffect(() => {
    let alive = true;
    setLoading(true);
    setError(null);
    must(api.GET('/api/v1/supply-problems', { params: { query: { term_days: applied, limit: 1000 } } }))
      .then((r) => alive && setRows(r))
      .catch((e) => alive && setError(explain(t, has, e)))
      .finally(() => alive && setLoading(false));
    return () => {
      alive = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [applied, reload]);

  const officer = me?.role === 'procurement_officer';
  const counts = Object.fromEntries(KINDS.map((k) => [k, (rows ?? []).filter((r) => r.kind === k).length]));
  return (
    <PageContainer title={t('menu.supplyProblems')} content={t('buyer.problems.explain')}>
      <Card size="small" style={{ marginBottom: 16 }}>
        <Form
          layout="inline"
          style={{ rowGap: 8 }}
          onFinish={() => {
            setApplied(term);
            setReload((x) => x + 1);
          }}
        >
          <Form.Item label={t('buyer.problems.term')} htmlFor="problems-term" extra={t('buyer.problems.termHint')}>
            <InputNumber id="problems-term" min={0} max={365} precision={0} value={term} onChange={(v) => setTerm(v ?? 7)} suffix={t('buyer.problems.days')} style={{ width: 120 }} data-testid="problems-term" />
          </Form.Item>
          <Form.Item>
            <Button type="primary" htmlType="submit" loading={loading}>
              {t('common.search')}
            </Button>
          </Form.Item>
        </Form>
        {rows && (
          <Space wrap style={{ marginTop: 12 }}>
            {KINDS.map((k) => (
              <Tag key={k} color={KIND_COLORS[k]}>
                {t(`buyer.problems.kind.${k}`)}: {counts[k]}
              </Tag>
            ))}
          </Space>
        )}
      </Card>
      {error && <Alert type="error" message={error} style={{ marginBottom: 16 }} />}
      <Table<Problem>
        rowKey={(r) => `${r.kind}-${r.order_id ?? ''}-${r.hospital_org_id}-${r.since}-${r.contract_ids.join(',')}`}
        size="small"
        loading={loading}
        dataSource={rows ?? []}
        scroll={{ x: 'max-content' }}
        pagination={{ defaultPageSize: 20, showSizeChanger: true, hideOnSinglePage: true }}
        data-testid="problems-table"
        columns={[
          {
            title: t('buyer.problems.kindTitle'),
            dataIndex: 'kind',
            filters: KINDS.map((k) => ({ value: k, text: t(`buyer.problems.kind.${k}`) })),
            onFilter: (v, r) => r.kind === v,
            render: (_, r) => <Tag color={KIND_COLORS[r.kind]}>{has(`buyer.problems.kind.${r.kind}`) ? t(`buyer.problems.kind.${r.kind}`) : r.kind}</Tag>,
          },
          { title: t('buyer.problems.since'), dataIndex: 'since', render: (_, r) => cst(r.since) },
          ...(me?.role === 'provincial_buyer'
            ? []
            : [{ title: t('common.province'), dataIndex: 'province', render: (_: unknown, r: Problem) => provinceName(provinces, r.province, lang) }]),
          { title: t('buyer.hospital'), dataIndex: 'hospital_org_id', render: (_, r) => <HospitalName id={r.hospital_org_id} /> },
          { title: t('buyer.supplier'), dataIndex: 'supplier_org_id', render: (_, r) => <SupplierOf p={r} /> },
          {
            title: t('buyer.problems.contracts'),
            dataIndex: 'contract_ids',
            render: (_, r) => (
              <Space direction="vertical" size={0}>
                {r.contract_ids.map((id) => (
                  <ContractName key={id} id={id} withSupplier={false} />
                ))}
              </Space>
            ),
          },
          { title: t('buyer.problems.openUnits'), dataIndex: 'open_units', align: 'right', render: (_, r) => (r.kind === 'reported_shortage' ? '—' : units(r.open_units)) },
          {
            title: t('buyer.problems.reason'),
            dataIndex: 'reason',
            render: (_, r) =>
              r.reason ? (
                <Typography.Text style={{ maxWidth: 260 }} ellipsis={{ tooltip: r.reason }}>
                  {r.reason}
                </Typography.Text>
              ) : (
                '—'
              ),
          },
          {
            title: t('common.actions'),
            render: (_, r) => (
              <Space wrap size="small">
                {r.order_id && (
                  <Button size="small" type="link" onClick={() => setOrderOpen(r.order_id ?? null)}>
                    {t('buyer.problems.order', { id: shortId(r.order_id) })}
                  </Button>
                )}
                {officer && <FailureAction p={r} onDone={() => setReload((x) => x + 1)} />}
              </Space>
            ),
          },
        ]}
      />
      <OrderDrawer id={orderOpen} onClose={() => setOrderOpen(null)} />
    </PageContainer>
  );
}
