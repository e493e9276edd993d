// Settlement batches (结算批次): the insurer settles its province's accepted, unsettled,
// undisputed delivery lines (all, those due by a date, or one supplier's) into a batch with
// one payment order per supplier. Auditors and admins read every province's batches.
import { PageContainer, type ProColumns } from '@ant-design/pro-components';
import { Alert, App, Button, DatePicker, Form, Select, Space, Table, Typography } from 'antd';
import { PlusOutlined } from '@ant-design/icons';
import { useEffect, useRef, useState } from 'react';
import { Link } from 'react-router';
import type { Dayjs } from 'dayjs';
import { api, must, type Schemas } from '../../api/client';
import { problemOf } from '../../api/problem';
import { useAuth } from '../../auth';
import { useI18n } from '../../i18n';
import FormModal from '../../components/FormModal';
import ServerTable from '../../components/ServerTable';
import { cst, money, provinceName, useProvinces } from '../../components/format';
import { BatchStatus, PaidTag, ShortId } from './settlementShared';

type Batch = Schemas['BatchDto'];
type PaymentOrder = Schemas['PaymentOrderDto'];

export default function Batches() {
  const { me } = useAuth();
  const { t, lang } = useI18n();
  const provinces = useProvinces();
  const table = useRef<{ reload: () => void }>(null);
  const [creating, setCreating] = useState(false);
  const [created, setCreated] = useState<Batch | null>(null);
  const role = me?.role;

  const columns: ProColumns<Batch>[] = [
    {
      title: t('insurer.batch.id'),
      dataIndex: 'id',
      render: (_, b) => (
        <span data-testid={`batch-row-${b.id}`}>
          <ShortId id={b.id} />
        </span>
      ),
    },
    { title: t('common.created'), dataIndex: 'created_at', render: (_, b) => cst(b.created_at) },
    ...(role === 'insurer'
      ? []
      : [{ title: t('common.province'), dataIndex: 'province', render: (_: unknown, b: Batch) => provinceName(provinces, b.province, lang) }]),
    {
      title: t('insurer.batch.scope'),
      key: 'scope',
      render: (_, b) => <BatchScope batch={b} />,
    },
    { title: t('insurer.batch.lines'), dataIndex: 'line_count', align: 'right' },
    {
      title: t('insurer.batch.total'),
      dataIndex: 'total',
      align: 'right',
      render: (_, b) => (
        <Typography.Text strong data-testid={`batch-total-${b.id}`}>
          {money(b.total)}
        </Typography.Text>
      ),
    },
    { title: t('common.status'), dataIndex: 'status', render: (_, b) => <BatchStatus status={b.status} /> },
    {
      title: t('menu.paymentOrders'),
      key: 'orders',
      render: (_, b) => (
        <Link to={`/settlement/payment-orders?batch_id=${b.id}`}>
          {t('insurer.batch.ordersLink', { count: b.payment_orders.length })}
        </Link>
      ),
    },
  ];

  return (
    <PageContainer title={t('menu.batches')} content={t('insurer.batch.intro')}>
      <Space direction="vertical" size="middle" style={{ width: '100%' }}>
        {created && <CreatedBatch batch={created} onClose={() => setCreated(null)} />}
        <ServerTable<Batch>
          path="/api/v1/settlements/batches"
          rowKey="id"
          search={false}
          columns={columns.map((c) => ({ ...c, search: false }))}
          tableRef={table}
          expandable={{ expandedRowRender: (b) => <OrdersOfBatch orders={b.payment_orders} /> }}
          toolbar={
            role === 'insurer'
              ? [
                  <Button key="create" type="primary" icon={<PlusOutlined />} onClick={() => setCreating(true)} data-testid="batch-create">
                    {t('insurer.batch.create')}
                  </Button>,
                ]
              : undefined
          }
        />
      </Space>
      {creating && (
        <CreateBatch
          onClose={() => setCreating(false)}
          onCreated={(b) => {
            setCreating(false);
            setCreated(b);
            table.current?.reload();
          }}
        />
      )}
    </PageContainer>
  );
}

function BatchScope({ batch }: { batch: Batch }) {
  const { t } = useI18n();
  const supplier = batch.supplier_org_id
    ? batch.payment_orders.find((o) => o.supplier_org_id === batch.supplier_org_id)?.supplier_name ?? batch.supplier_org_id.slice(0, 8)
    : null;
  if (!batch.due_by && !supplier) return <>{t('insurer.batch.scopeAll')}</>;
  return (
    <Space direction="vertical" size={0}>
      {batch.due_by && <span>{t('insurer.batch.scopeDue', { date: batch.due_by })}</span>}
      {supplier && <span>{t('insurer.batch.scopeSupplier', { supplier })}</span>}
    </Space>
  );
}

/** A batch's payment orders, one per supplier. */
export function OrdersOfBatch({ orders }: { orders: PaymentOrder[] }) {
  const { t } = useI18n();
  return (
    <Table<PaymentOrder>
      rowKey="id"
      size="small"
      dataSource={orders}
      pagination={false}
      scroll={{ x: 'max-content' }}
      locale={{ emptyText: t('insurer.batch.noOrders') }}
      columns={[
        { title: t('insurer.supplier'), dataIndex: 'supplier_name', key: 'supplier' },
        { title: t('insurer.batch.lines'), dataIndex: 'line_count', key: 'lines', align: 'right' },
        { title: t('insurer.order.total'), key: 'total', align: 'right', render: (_, o) => money(o.total) },
        { title: t('common.status'), key: 'paid', render: (_, o) => <PaidTag paid={!!o.paid_at} /> },
        {
          title: t('insurer.bankRef'),
          key: 'ref',
          render: (_, o) => (o.bank_reference ? <Typography.Text code>{o.bank_reference}</Typography.Text> : '—'),
        },
        { title: t('insurer.paidAt'), key: 'paidAt', render: (_, o) => cst(o.paid_at) },
      ]}
    />
  );
}

/** What the server answered to a new batch. */
function CreatedBatch({ batch, onClose }: { batch: Batch; onClose: () => void }) {
  const { t } = useI18n();
  return (
    <Alert
      type="success"
      showIcon
      closable
      onClose={onClose}
      data-testid="batch-result"
      data-batch-id={batch.id}
      message={t('insurer.batch.created', { lines: batch.line_count, total: money(batch.total), orders: batch.payment_orders.length })}
      description={
        <Space direction="vertical" style={{ width: '100%' }}>
          <span>
            {t('insurer.batch.id')}: <ShortId id={batch.id} testId="batch-result-id" />
          </span>
          <OrdersOfBatch orders={batch.payment_orders} />
          <Link to={`/settlement/payment-orders?batch_id=${batch.id}`}>{t('insurer.batch.toOrders')}</Link>
        </Space>
      }
    />
  );
}

interface BatchForm {
  due_by?: Dayjs | null;
  supplier_org_id?: string;
}

/** The suppliers with contracts in the insurer's province (the batch's optional filter). */
function useProvinceSuppliers(province: string | null | undefined) {
  const [suppliers, setSuppliers] = useState<{ value: string; label: string }[]>([]);
  const [loading, setLoading] = useState(true);
  useEffect(() => {
    let alive = true;
    (async () => {
      const seen = new Map<string, string>();
      try {
        for (let page = 1; page <= 10; page++) {
          const res = await must(
            api.GET('/api/v1/contracts', { params: { query: { province: province ?? undefined, per_page: 200, page } } }),
          );
          for (const c of res.items) seen.set(c.supplier_org_id, c.supplier_name);
          if (page * res.per_page >= res.total) break;
        }
      } catch {
        // the filter is optional: without the list the batch takes every supplier
      }
      if (alive) {
        setSuppliers([...seen].map(([value, label]) => ({ value, label })).sort((a, b) => a.label.localeCompare(b.label)));
        setLoading(false);
      }
    })();
    return () => {
      alive = false;
    };
  }, [province]);
  return { suppliers, loading };
}

function CreateBatch({ onClose, onCreated }: { onClose: () => void; onCreated: (b: Batch) => void }) {
  const { me } = useAuth();
  const { t } = useI18n();
  const { message } = App.useApp();
  const [form] = Form.useForm<BatchForm>();
  const [empty, setEmpty] = useState(false);
  const { suppliers, loading } = useProvinceSuppliers(me?.province);

  return (
    <FormModal<BatchForm>
      title={t('insurer.batch.create')}
      form={form}
      okText={t('insurer.batch.submit')}
      okTestId="batch-submit"
      onClose={onClose}
      submitOnEnter={false}
      onValuesChange={() => setEmpty(false)}
      onSubmit={async (v) => {
        setEmpty(false);
        try {
          const batch = await must(
            api.POST('/api/v1/settlements/batches', {
              body: {
                due_by: v.due_by ? v.due_by.format('YYYY-MM-DD') : undefined,
                supplier_org_id: v.supplier_org_id || undefined,
              },
            }),
          );
          message.success(t('insurer.batch.createdShort'));
          onCreated(batch);
        } catch (e) {
          // nothing to settle: said in its own notice, not as an error
          if (problemOf(e).code === 'batch_empty') setEmpty(true);
          else throw e;
        }
      }}
      intro={<Typography.Paragraph type="secondary">{t('insurer.batch.createHelp')}</Typography.Paragraph>}
    >
      <Form.Item name="due_by" label={t('insurer.batch.dueBy')} extra={t('insurer.batch.dueByHelp')}>
        <DatePicker style={{ width: '100%' }} data-testid="batch-due-by" />
      </Form.Item>
      <Form.Item name="supplier_org_id" label={t('insurer.supplier')} extra={t('insurer.batch.supplierHelp')}>
        <Select
          allowClear
          showSearch
          optionFilterProp="label"
          loading={loading}
          placeholder={t('insurer.batch.allSuppliers')}
          options={suppliers}
          data-testid="batch-supplier"
        />
      </Form.Item>
      {empty && (
        <Alert
          type="info"
          showIcon
          data-testid="batch-empty"
          message={t('insurer.batch.emptyTitle')}
          description={t('insurer.batch.emptyDetail')}
        />
      )}
    </FormModal>
  );
}
