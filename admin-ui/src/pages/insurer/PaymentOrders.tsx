// Payment orders (付款单): what each supplier is paid for its lines in a batch. The insurer
// records the bank transfer, in full: the amount is set against the hospitals' prepayments
// first, the rest deducted from the fund payments owed to them. Suppliers see their own.
import { PageContainer } from '@ant-design/pro-components';
import { Alert, App, Button, Card, Descriptions, Empty, Form, Input, Select, Space, Table, Typography } from 'antd';
import { BankOutlined, ReloadOutlined } from '@ant-design/icons';
import { useCallback, useEffect, useState } from 'react';
import { useSearchParams } from 'react-router';
import { api, must, type Schemas } from '../../api/client';
import { describe } from '../../api/problem';
import { useAuth } from '../../auth';
import { useI18n } from '../../i18n';
import FormModal from '../../components/FormModal';
import { cst, money, provinceName, useProvinces } from '../../components/format';
import { bankReferenceRules, PaidTag, ShortId, sumDecimals } from './settlementShared';

type PaymentOrder = Schemas['PaymentOrderDto'];
type Payment = Schemas['PaymentDto'];

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export default function PaymentOrders() {
  const { me } = useAuth();
  const { t, has, lang } = useI18n();
  const { message } = App.useApp();
  const provinces = useProvinces();
  const [search, setSearch] = useSearchParams();
  const role = me?.role;
  const batchId = search.get('batch_id') ?? '';
  const paid = search.get('paid') ?? '';
  const [batchInput, setBatchInput] = useState(batchId);
  useEffect(() => setBatchInput(batchId), [batchId]);

  const setParam = (k: string, v: string | undefined) => {
    const next = new URLSearchParams(search);
    if (v) next.set(k, v);
    else next.delete(k);
    setSearch(next, { replace: true });
  };

  const [rows, setRows] = useState<PaymentOrder[]>([]);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const load = useCallback(async () => {
    setLoading(true);
    setError(null);
    try {
      const list = await must(
        api.GET('/api/v1/settlements/payment-orders', {
          params: {
            query: {
              batch_id: batchId && UUID.test(batchId) ? batchId : undefined,
              paid: paid === 'true' ? true : paid === 'false' ? false : undefined,
            },
          },
        }),
      );
      setRows(list);
    } catch (e) {
      setRows([]);
      setError(describe(t, has, e));
    } finally {
      setLoading(false);
    }
  }, [batchId, paid, t, has]);
  useEffect(() => {
    load();
  }, [load]);

  const [paying, setPaying] = useState<PaymentOrder | null>(null);
  const [result, setResult] = useState<{ order: PaymentOrder; payment: Payment } | null>(null);
  const badBatch = batchInput !== '' && !UUID.test(batchInput.trim());

  return (
    <PageContainer title={t('menu.paymentOrders')} content={t('insurer.order.intro')}>
      <Space direction="vertical" size="middle" style={{ width: '100%' }}>
        <Card size="small">
          <Form
            layout="inline"
            onFinish={() => !badBatch && setParam('batch_id', batchInput.trim() || undefined)}
            style={{ rowGap: 8 }}
          >
            <Form.Item
              label={t('insurer.order.batchFilter')}
              htmlFor="po-batch"
              validateStatus={badBatch ? 'error' : undefined}
              help={badBatch ? t('insurer.order.batchInvalid') : undefined}
            >
              <Input
                id="po-batch"
                allowClear
                value={batchInput}
                onChange={(e) => {
                  setBatchInput(e.target.value);
                  if (e.target.value === '') setParam('batch_id', undefined);
                }}
                placeholder={t('insurer.order.batchPlaceholder')}
                style={{ width: 320, maxWidth: '100%' }}
                data-testid="po-batch"
              />
            </Form.Item>
            <Form.Item label={t('common.status')} htmlFor="po-paid">
              <Select
                id="po-paid"
                style={{ width: 140 }}
                value={paid}
                onChange={(v) => setParam('paid', v || undefined)}
                options={[
                  { value: '', label: t('common.all') },
                  { value: 'false', label: t('insurer.unpaid') },
                  { value: 'true', label: t('insurer.paid') },
                ]}
                data-testid="po-paid"
              />
            </Form.Item>
            <Form.Item>
              <Space>
                <Button type="primary" htmlType="submit">
                  {t('common.search')}
                </Button>
                <Button icon={<ReloadOutlined />} onClick={load}>
                  {t('common.refresh')}
                </Button>
              </Space>
            </Form.Item>
          </Form>
        </Card>
        {error && <Alert type="error" showIcon message={error} />}
        {result && (
          <Alert
            type="success"
            showIcon
            closable
            onClose={() => setResult(null)}
            data-testid="payment-result"
            message={t('insurer.order.paidMsg', { supplier: result.order.supplier_name, amount: money(result.payment.amount) })}
            description={t('insurer.order.paidSplit', {
              setOff: money(result.payment.set_off),
              deducted: money(result.payment.deducted),
              ref: result.payment.bank_reference,
            })}
          />
        )}
        {rows.length > 0 && (
          <Typography.Text type="secondary">
            {t('insurer.order.summary', {
              count: rows.length,
              total: money(sumDecimals(rows.map((r) => r.total))),
              unpaid: money(sumDecimals(rows.filter((r) => !r.paid_at).map((r) => r.total))),
            })}
          </Typography.Text>
        )}
        <Table<PaymentOrder>
          rowKey="id"
          size="middle"
          loading={loading}
          dataSource={rows}
          scroll={{ x: 'max-content' }}
          pagination={{ defaultPageSize: 20, showSizeChanger: true, hideOnSinglePage: true }}
          locale={{ emptyText: <Empty description={t('insurer.order.empty')} /> }}
          columns={[
            { title: t('insurer.order.id'), key: 'id', render: (_, o) => <ShortId id={o.id} /> },
            { title: t('insurer.supplier'), dataIndex: 'supplier_name', key: 'supplier' },
            {
              title: t('insurer.batch.id'),
              key: 'batch',
              render: (_, o) => (
                <Button type="link" size="small" style={{ padding: 0 }} onClick={() => setParam('batch_id', o.batch_id)}>
                  {o.batch_id.slice(0, 8)}
                </Button>
              ),
            },
            ...(role === 'insurer'
              ? []
              : [{ title: t('common.province'), key: 'province', render: (_: unknown, o: PaymentOrder) => provinceName(provinces, o.province, lang) }]),
            { title: t('insurer.batch.lines'), dataIndex: 'line_count', key: 'lines', align: 'right' },
            {
              title: t('insurer.order.total'),
              key: 'total',
              align: 'right',
              render: (_, o) => <Typography.Text strong>{money(o.total)}</Typography.Text>,
            },
            { title: t('common.status'), key: 'paid', render: (_, o) => <PaidTag paid={!!o.paid_at} /> },
            {
              title: t('insurer.bankRef'),
              key: 'ref',
              render: (_, o) => (o.bank_reference ? <Typography.Text code>{o.bank_reference}</Typography.Text> : '—'),
            },
            { title: t('insurer.paidAt'), key: 'paidAt', render: (_, o) => cst(o.paid_at) },
            ...(role === 'insurer'
              ? [
                  {
                    title: t('common.actions'),
                    key: 'actions',
                    fixed: 'right' as const,
                    render: (_: unknown, o: PaymentOrder) =>
                      o.paid_at ? null : (
                        <Button size="small" type="primary" icon={<BankOutlined />} onClick={() => setPaying(o)} data-testid={`pay-${o.id}`}>
                          {t('insurer.order.pay')}
                        </Button>
                      ),
                  },
                ]
              : []),
          ]}
        />
      </Space>
      {paying && (
        <PayOrder
          order={paying}
          onClose={() => setPaying(null)}
          onDone={(payment) => {
            setResult({ order: paying, payment });
            setPaying(null);
            message.success(t('common.done'));
            load();
          }}
        />
      )}
    </PageContainer>
  );
}

function PayOrder({ order, onClose, onDone }: { order: PaymentOrder; onClose: () => void; onDone: (p: Payment) => void }) {
  const { t } = useI18n();
  const [form] = Form.useForm<{ bank_reference: string; amount: string }>();
  return (
    <FormModal<{ bank_reference: string; amount: string }>
      title={t('insurer.order.payTitle')}
      form={form}
      okText={t('insurer.order.payOk')}
      okTestId="pay-submit"
      onClose={onClose}
      initialValues={{ amount: order.total, bank_reference: '' }}
      onSubmit={async (v) => {
        const payment = await must(
          api.POST('/api/v1/settlements/payment-orders/{id}/payments', {
            params: { path: { id: order.id } },
            body: { bank_reference: v.bank_reference, amount: v.amount.trim() },
          }),
        );
        onDone(payment);
      }}
      intro={
        <Descriptions column={1} size="small" bordered style={{ marginBottom: 16 }}>
          <Descriptions.Item label={t('insurer.supplier')}>{order.supplier_name}</Descriptions.Item>
          <Descriptions.Item label={t('insurer.batch.lines')}>{order.line_count}</Descriptions.Item>
          <Descriptions.Item label={t('insurer.order.total')}>
            <Typography.Text strong>{money(order.total)}</Typography.Text>
          </Descriptions.Item>
        </Descriptions>
      }
    >
      <Form.Item name="bank_reference" label={t('insurer.bankRef')} extra={t('insurer.bankRef.help')} rules={bankReferenceRules(t)}>
        <Input maxLength={64} autoComplete="off" data-testid="pay-bank-ref" />
      </Form.Item>
      <Form.Item
        name="amount"
        label={t('insurer.order.amount')}
        extra={t('insurer.order.amountHelp')}
        rules={[
          { required: true, message: t('insurer.order.amountRequired') },
          { pattern: /^\s*\d{1,13}(\.\d{1,2})?\s*$/, message: t('insurer.order.amountFormat') },
        ]}
      >
        <Input inputMode="decimal" addonAfter={t('insurer.yuan')} autoComplete="off" data-testid="pay-amount" />
      </Form.Item>
    </FormModal>
  );
}
