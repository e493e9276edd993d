// Prepayments (预付款) of a round, one row per hospital of the province: the agreed amount
// (quota x contract price), the ratio, the amount due and the payment once recorded. The
// insurer records a payment under the bank's reference; each hospital's fund ledger shows
// what was prepaid, set off and deducted, and whether it balances.
import { PageContainer } from '@ant-design/pro-components';
import { Alert, App, Button, Card, Col, Descriptions, Drawer, Empty, Form, Input, Row, Select, Space, Statistic, Table, Tag, Typography } from 'antd';
import { BankOutlined, CheckCircleOutlined, CloseCircleOutlined, ReloadOutlined } from '@ant-design/icons';
import { useCallback, useEffect, useMemo, useState } from 'react';
import { useSearchParams } from 'react-router';
import { api, must, type Schemas } from '../../api/client';
import { describe } from '../../api/problem';
import { useAuth } from '../../auth';
import { useI18n } from '../../i18n';
import FormModal from '../../components/FormModal';
import { cst, money, provinceName, useProvinces } from '../../components/format';
import { bankReferenceRules, PaidTag, percent, sumDecimals, useSettledRounds } from './settlementShared';

type Due = Schemas['PrepaymentDue'];
type Ledger = Schemas['LedgerDto'];

export default function Prepayments() {
  const { me } = useAuth();
  const { t, has, lang } = useI18n();
  const { message } = App.useApp();
  const provinces = useProvinces();
  const [search, setSearch] = useSearchParams();
  const role = me?.role;
  const oversight = role === 'auditor' || role === 'admin';
  const { rounds, loading: roundsLoading, error: roundsError } = useSettledRounds();

  const roundId = search.get('round_id') ?? '';
  const province = oversight ? (search.get('province') ?? '') : (me?.province ?? '');
  const setParam = (k: string, v: string | undefined) => {
    const next = new URLSearchParams(search);
    if (v) next.set(k, v);
    else next.delete(k);
    setSearch(next, { replace: true });
  };

  // the newest round by default
  useEffect(() => {
    if (!roundId && rounds.length > 0) setParam('round_id', rounds[0].id);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [rounds, roundId]);

  const [rows, setRows] = useState<Due[]>([]);
  const [loading, setLoading] = useState(false);
  const [loadError, setLoadError] = useState<string | null>(null);
  const load = useCallback(async () => {
    if (!roundId || (oversight && !province)) {
      setRows([]);
      return;
    }
    setLoading(true);
    setLoadError(null);
    try {
      const list = await must(
        api.GET('/api/v1/settlements/prepayments', {
          params: { query: { round_id: roundId, ...(oversight ? { province } : {}) } },
        }),
      );
      setRows(list);
    } catch (e) {
      setRows([]);
      setLoadError(describe(t, has, e));
    } finally {
      setLoading(false);
    }
  }, [roundId, province, oversight, t, has]);
  useEffect(() => {
    load();
  }, [load]);

  const [paying, setPaying] = useState<Due | null>(null);
  const [ledgerOf, setLedgerOf] = useState<Due | null>(null);

  const paidCount = rows.filter((r) => r.prepayment_id).length;
  const totals = useMemo(
    () => ({
      agreed: sumDecimals(rows.map((r) => r.agreed_amount)),
      due: sumDecimals(rows.map((r) => r.amount)),
      paid: sumDecimals(rows.filter((r) => r.prepayment_id).map((r) => r.amount)),
    }),
    [rows],
  );

  const columns = [
    { title: t('insurer.hospital'), dataIndex: 'hospital_name', key: 'hospital', ellipsis: true },
    {
      title: t('insurer.prepay.agreed'),
      key: 'agreed',
      align: 'right' as const,
      render: (_: unknown, r: Due) => money(r.agreed_amount),
    },
    { title: t('insurer.prepay.ratio'), key: 'ratio', align: 'right' as const, render: (_: unknown, r: Due) => percent(r.ratio) },
    {
      title: t('insurer.prepay.due'),
      key: 'due',
      align: 'right' as const,
      render: (_: unknown, r: Due) => <Typography.Text strong>{money(r.amount)}</Typography.Text>,
    },
    { title: t('common.status'), key: 'status', render: (_: unknown, r: Due) => <PaidTag paid={!!r.prepayment_id} /> },
    {
      title: t('insurer.bankRef'),
      key: 'ref',
      render: (_: unknown, r: Due) => (r.bank_reference ? <Typography.Text code>{r.bank_reference}</Typography.Text> : '—'),
    },
    { title: t('insurer.paidAt'), key: 'paidAt', render: (_: unknown, r: Due) => cst(r.paid_at) },
    {
      title: t('common.actions'),
      key: 'actions',
      fixed: 'right' as const,
      render: (_: unknown, r: Due) => (
        <Space wrap size={4}>
          {role === 'insurer' && !r.prepayment_id && (
            <Button
              size="small"
              type="primary"
              icon={<BankOutlined />}
              onClick={() => setPaying(r)}
              data-testid={`prepay-record-${r.hospital_org_id}`}
            >
              {t('insurer.prepay.record')}
            </Button>
          )}
          {role !== 'hospital' && (
            <Button size="small" onClick={() => setLedgerOf(r)} data-testid={`ledger-open-${r.hospital_org_id}`}>
              {t('insurer.ledger.open')}
            </Button>
          )}
        </Space>
      ),
    },
  ];

  return (
    <PageContainer title={t('menu.prepayments')} content={t('insurer.prepay.intro')}>
      <Space direction="vertical" size="middle" style={{ width: '100%' }}>
        <Card size="small">
          <Space wrap size="middle">
            <Space size={4} wrap>
              <label htmlFor="prepay-round">{t('insurer.round')}</label>
              <Select
                id="prepay-round"
                aria-label={t('insurer.round')}
                style={{ minWidth: 260, maxWidth: '100%' }}
                loading={roundsLoading}
                value={roundId || undefined}
                placeholder={t('insurer.round.pick')}
                onChange={(v) => setParam('round_id', v)}
                options={rounds.map((r) => ({ value: r.id, label: r.name }))}
                data-testid="prepay-round"
                notFoundContent={t('insurer.round.none')}
              />
            </Space>
            {oversight && (
              <Space size={4} wrap>
                <label htmlFor="prepay-province">{t('common.province')}</label>
                <Select
                  id="prepay-province"
                  aria-label={t('common.province')}
                  showSearch
                  optionFilterProp="label"
                  style={{ minWidth: 160 }}
                  value={province || undefined}
                  placeholder={t('insurer.province.pick')}
                  onChange={(v) => setParam('province', v)}
                  options={provinces.map((p) => ({ value: p.code, label: lang === 'zh' ? p.name_zh : p.name_en }))}
                  data-testid="prepay-province"
                />
              </Space>
            )}
            {!oversight && me?.province && <Tag color="blue">{provinceName(provinces, me.province, lang)}</Tag>}
            <Button icon={<ReloadOutlined />} onClick={load} aria-label={t('common.refresh')}>
              {t('common.refresh')}
            </Button>
          </Space>
        </Card>
        {roundsError != null && <Alert type="error" showIcon message={describe(t, has, roundsError)} />}
        {!roundsLoading && rounds.length === 0 && !roundsError && <Alert type="info" showIcon message={t('insurer.round.none')} />}
        {oversight && !province && <Alert type="info" showIcon message={t('insurer.province.required')} />}
        {loadError && <Alert type="error" showIcon message={loadError} data-testid="prepay-error" />}
        {rows.length > 0 && (
          <Row gutter={[16, 16]}>
            <Col xs={12} md={6}>
              <Card size="small">
                <Statistic title={t('insurer.prepay.hospitals')} value={rows.length} />
              </Card>
            </Col>
            <Col xs={12} md={6}>
              <Card size="small">
                <Statistic title={t('insurer.prepay.agreedTotal')} value={money(totals.agreed)} />
              </Card>
            </Col>
            <Col xs={12} md={6}>
              <Card size="small">
                <Statistic title={t('insurer.prepay.dueTotal')} value={money(totals.due)} />
              </Card>
            </Col>
            <Col xs={12} md={6}>
              <Card size="small">
                <Statistic
                  title={t('insurer.prepay.paidTotal')}
                  value={money(totals.paid)}
                  suffix={<Typography.Text type="secondary">({t('insurer.prepay.paidCount', { paid: paidCount, total: rows.length })})</Typography.Text>}
                />
              </Card>
            </Col>
          </Row>
        )}
        <Table<Due>
          rowKey="hospital_org_id"
          size="middle"
          loading={loading}
          columns={columns}
          dataSource={rows}
          scroll={{ x: 'max-content' }}
          pagination={rows.length > 20 ? { pageSize: 20 } : false}
          locale={{ emptyText: <Empty description={t('insurer.prepay.empty')} /> }}
          data-testid="prepay-table"
        />
        {role === 'hospital' && me && (
          <Card title={t('insurer.ledger.own')} size="small">
            <LedgerView hospitalId={me.org_id} />
          </Card>
        )}
      </Space>
      {paying && (
        <RecordPrepayment
          due={paying}
          roundId={roundId}
          onClose={() => setPaying(null)}
          onDone={(saved) => {
            setPaying(null);
            message.success(t('insurer.prepay.recorded', { hospital: saved.hospital_name, amount: money(saved.amount) }));
            load();
          }}
        />
      )}
      <LedgerDrawer hospital={ledgerOf} onClose={() => setLedgerOf(null)} />
    </PageContainer>
  );
}

function RecordPrepayment({
  due,
  roundId,
  onClose,
  onDone,
}: {
  due: Due;
  roundId: string;
  onClose: () => void;
  onDone: (d: Due) => void;
}) {
  const { t } = useI18n();
  const [form] = Form.useForm<{ bank_reference: string }>();
  return (
    <FormModal<{ bank_reference: string }>
      title={t('insurer.prepay.recordTitle')}
      form={form}
      okText={t('insurer.prepay.recordOk')}
      okTestId="prepay-submit"
      onClose={onClose}
      onSubmit={async (v) => {
        const saved = await must(
          api.POST('/api/v1/settlements/prepayments', {
            body: { round_id: roundId, hospital_org_id: due.hospital_org_id, bank_reference: v.bank_reference },
          }),
        );
        onDone(saved);
      }}
      intro={
        <Descriptions column={1} size="small" bordered style={{ marginBottom: 16 }}>
          <Descriptions.Item label={t('insurer.hospital')}>{due.hospital_name}</Descriptions.Item>
          <Descriptions.Item label={t('insurer.prepay.agreed')}>{money(due.agreed_amount)}</Descriptions.Item>
          <Descriptions.Item label={t('insurer.prepay.ratio')}>{percent(due.ratio)}</Descriptions.Item>
          <Descriptions.Item label={t('insurer.prepay.due')}>
            <Typography.Text strong>{money(due.amount)}</Typography.Text>
          </Descriptions.Item>
        </Descriptions>
      }
    >
      <Form.Item name="bank_reference" label={t('insurer.bankRef')} extra={t('insurer.bankRef.help')} rules={bankReferenceRules(t)}>
        <Input maxLength={64} autoComplete="off" data-testid="prepay-bank-ref" />
      </Form.Item>
    </FormModal>
  );
}

/** A hospital's fund ledger (prepaid, set off, deducted, left) and whether it balances. */
export function LedgerDrawer({ hospital, onClose }: { hospital: { hospital_org_id: string; hospital_name: string } | null; onClose: () => void }) {
  const { t } = useI18n();
  return (
    <Drawer
      open={!!hospital}
      onClose={onClose}
      width="min(760px, 100vw)"
      title={hospital ? t('insurer.ledger.title', { hospital: hospital.hospital_name }) : ''}
      destroyOnHidden
    >
      {hospital && <LedgerView hospitalId={hospital.hospital_org_id} />}
    </Drawer>
  );
}

export function LedgerView({ hospitalId }: { hospitalId: string }) {
  const { t, has } = useI18n();
  const [ledger, setLedger] = useState<Ledger | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let alive = true;
    setLedger(null);
    setError(null);
    must(api.GET('/api/v1/settlements/ledgers/{hospital_org_id}', { params: { path: { hospital_org_id: hospitalId } } }))
      .then((l) => alive && setLedger(l))
      .catch((e) => alive && setError(describe(t, has, e)));
    return () => {
      alive = false;
    };
  }, [hospitalId, t, has]);
  if (error) return <Alert type="error" showIcon message={error} />;
  if (!ledger) return <Card loading />;
  type Entry = Ledger['entries'][number];
  return (
    <Space direction="vertical" size="middle" style={{ width: '100%' }} data-testid="ledger">
      <Alert
        type={ledger.balanced ? 'success' : 'error'}
        showIcon
        icon={ledger.balanced ? <CheckCircleOutlined /> : <CloseCircleOutlined />}
        message={ledger.balanced ? t('insurer.ledger.balanced') : t('insurer.ledger.unbalanced')}
        description={t('insurer.ledger.rule')}
        data-testid="ledger-balanced"
        data-balanced={String(ledger.balanced)}
      />
      <Descriptions bordered size="small" column={{ xs: 1, sm: 2 }}>
        <Descriptions.Item label={t('insurer.ledger.prepaid')}>{money(ledger.prepaid)}</Descriptions.Item>
        <Descriptions.Item label={t('insurer.ledger.setOff')}>{money(ledger.set_off)}</Descriptions.Item>
        <Descriptions.Item label={t('insurer.ledger.left')}>
          <Typography.Text strong>{money(ledger.prepayment_left)}</Typography.Text>
        </Descriptions.Item>
        <Descriptions.Item label={t('insurer.ledger.deducted')}>{money(ledger.deducted)}</Descriptions.Item>
        <Descriptions.Item label={t('insurer.ledger.paid')}>{money(ledger.paid)}</Descriptions.Item>
        <Descriptions.Item label={t('insurer.ledger.unpaidLines')}>{money(ledger.unpaid)}</Descriptions.Item>
      </Descriptions>
      <Table<Entry>
        rowKey="id"
        size="small"
        dataSource={ledger.entries}
        scroll={{ x: 'max-content' }}
        pagination={ledger.entries.length > 10 ? { pageSize: 10 } : false}
        locale={{ emptyText: t('insurer.ledger.noEntries') }}
        columns={[
          { title: t('insurer.ledger.at'), key: 'at', render: (_, e) => cst(e.created_at) },
          {
            title: t('insurer.ledger.kind'),
            key: 'kind',
            render: (_, e) => (has(`insurer.fund.${e.kind}`) ? t(`insurer.fund.${e.kind}`) : e.kind),
          },
          { title: t('insurer.amount'), key: 'amount', align: 'right', render: (_, e) => money(e.amount) },
          { title: t('insurer.ledger.leftAfter'), key: 'left', align: 'right', render: (_, e) => money(e.prepayment_left) },
        ]}
      />
    </Space>
  );
}
