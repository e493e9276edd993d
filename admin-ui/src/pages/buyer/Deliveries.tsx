// Deliveries (配送) and their acceptance (验收入库): batch, expiry, invoice and the
// traceability codes of each line; the hospital accepts a delivery once, wholly or in part
// with a reason for the rest, which starts the payment clock (accepted_on, due_date).
import { useRef, useState } from 'react';
import { PageContainer, type ProColumns } from '@ant-design/pro-components';
import { Alert, App, Button, Form, Input, InputNumber, Modal, Space, Table, Tag, Typography, type ButtonProps } from 'antd';
import { useSearchParams } from 'react-router';
import { sendJson } from '../../api/client';
import { useAuth } from '../../auth';
import ServerTable from '../../components/ServerTable';
import { cst, money } from '../../components/format';
import { useI18n } from '../../i18n';
import { OrderDrawer } from './OrderView';
import {
  contractLookup,
  ContractName,
  DELIVERY_STATUSES,
  formProblem,
  HospitalName,
  shortId,
  StatusTag,
  statusEnum,
  TONE,
  VisuallyHidden,
  units,
  useLookup,
  usePreloadedContracts,
  type Delivery,
} from './shared';

type DeliveryLine = Delivery['lines'][number];

function ShippedBy({ d }: { d: Delivery }) {
  const { t } = useI18n();
  const get = useLookup(contractLookup, [d.lines[0]?.contract_id]);
  const supplier = d.lines[0] ? get(d.lines[0].contract_id)?.supplier_name : undefined;
  if (d.shipped_by_org_id !== d.supplier_org_id) return <Tag color={TONE.purple}>{t('buyer.delivery.byDistributor')}</Tag>;
  return <span>{supplier ?? t('buyer.delivery.bySupplier')}</span>;
}

export default function Deliveries() {
  const { me } = useAuth();
  const { t } = useI18n();
  const role = me?.role;
  const [search, setSearch] = useSearchParams();
  const orderId = search.get('order_id');
  const table = useRef<{ reload: () => void }>(null);
  const [accepting, setAccepting] = useState<Delivery | null>(null);
  const [orderOpen, setOrderOpen] = useState<string | null>(null);
  const [result, setResult] = useState<Delivery | null>(null);
  usePreloadedContracts();

  const sum = (d: Delivery, k: 'quantity' | 'accepted') => d.lines.reduce((s, l) => s + (l[k] ?? 0), 0);
  const columns: ProColumns<Delivery>[] = [
    { title: t('buyer.delivery.shippedAt'), dataIndex: 'shipped_at', search: false, sorter: true, defaultSortOrder: 'descend', render: (_, d) => cst(d.shipped_at) },
    {
      title: t('common.status'),
      dataIndex: 'status',
      valueType: 'select',
      valueEnum: statusEnum(t, 'delivery', DELIVERY_STATUSES),
      render: (_, d) => <StatusTag kind="delivery" status={d.status} />,
    },
    {
      title: t('buyer.order.id'),
      dataIndex: 'order_id',
      search: orderId ? false : undefined,
      fieldProps: { placeholder: t('buyer.delivery.orderIdHint') },
      render: (_, d) => (
        <Button type="link" size="small" onClick={() => setOrderOpen(d.order_id)} aria-label={t('buyer.delivery.openOrder', { id: shortId(d.order_id) })}>
          {shortId(d.order_id)}
        </Button>
      ),
    },
    { title: t('buyer.hospital'), dataIndex: 'hospital_org_id', search: false, hideInTable: role === 'hospital', render: (_, d) => <HospitalName id={d.hospital_org_id} /> },
    {
      title: t('buyer.order.goods'),
      dataIndex: 'lines',
      search: false,
      render: (_, d) => (
        <span>
          <ContractName id={d.lines[0]?.contract_id ?? ''} withSupplier={false} />
          {d.lines.length > 1 && <Typography.Text type="secondary"> {t('buyer.order.moreLines', { n: d.lines.length - 1 })}</Typography.Text>}
        </span>
      ),
    },
    { title: t('buyer.delivery.shippedUnits'), search: false, align: 'right', render: (_, d) => units(sum(d, 'quantity')) },
    {
      title: t('buyer.delivery.acceptedUnits'),
      search: false,
      align: 'right',
      render: (_, d) => (d.status === 'accepted' ? units(sum(d, 'accepted')) : '—'),
    },
    { title: t('buyer.delivery.acceptedOn'), dataIndex: 'accepted_on', search: false, render: (_, d) => d.accepted_on ?? '—' },
    { title: t('buyer.delivery.dueDate'), dataIndex: 'due_date', search: false, sorter: true, render: (_, d) => d.due_date ?? '—' },
    { title: t('buyer.ship.batch'), dataIndex: 'batch_no', search: false },
    { title: t('buyer.ship.expiry'), dataIndex: 'expiry_date', search: false, sorter: true },
    { title: t('buyer.ship.invoice'), dataIndex: 'invoice_no', search: false },
    { title: t('buyer.delivery.shippedBy'), dataIndex: 'shipped_by_org_id', search: false, render: (_, d) => <ShippedBy d={d} /> },
    {
      title: t('common.actions'),
      search: false,
      fixed: 'right',
      hideInTable: role !== 'hospital',
      render: (_, d) =>
        role === 'hospital' && d.status === 'shipped' ? (
          <Button size="small" type="primary" onClick={() => setAccepting(d)} data-testid={`accept-${d.id}`}>
            {t('buyer.accept.button')}
          </Button>
        ) : null,
    },
  ];

  // (a variable, not a literal: ServerTable's type names only the render, antd takes the title too)
  const expandable = { expandedRowRender: (d: Delivery) => <DeliveryLines delivery={d} />, columnTitle: <VisuallyHidden>{t('buyer.lines')}</VisuallyHidden> };
  return (
    <PageContainer title={t('menu.deliveries')}>
      {result && (
        <Alert
          type="success"
          showIcon
          closable
          onClose={() => setResult(null)}
          style={{ marginBottom: 16 }}
          data-testid="accept-result"
          message={t('buyer.accept.doneMsg', {
            batch: result.batch_no,
            accepted: units(sum(result, 'accepted')),
            shipped: units(sum(result, 'quantity')),
            on: result.accepted_on,
            due: result.due_date,
          })}
        />
      )}
      {orderId && (
        <Space style={{ marginBottom: 16 }} wrap>
          <Typography.Text>{t('buyer.delivery.ofOrder')}</Typography.Text>
          <Tag
            closable
            onClose={() => {
              search.delete('order_id');
              setSearch(search, { replace: true });
            }}
          >
            {shortId(orderId)}
          </Tag>
        </Space>
      )}
      <ServerTable<Delivery>
        path="/api/v1/deliveries"
        rowKey="id"
        columns={columns}
        tableRef={table}
        params={orderId ? { order_id: orderId } : undefined}
        expandable={expandable}
      />
      <AcceptModal
        delivery={accepting}
        onClose={() => setAccepting(null)}
        onDone={(d) => {
          setAccepting(null);
          setResult(d);
          table.current?.reload();
        }}
      />
      <OrderDrawer id={orderOpen} onClose={() => setOrderOpen(null)} />
    </PageContainer>
  );
}

function DeliveryLines({ delivery }: { delivery: Delivery }) {
  const { t } = useI18n();
  return (
    <Table<DeliveryLine>
      size="small"
      rowKey="id"
      pagination={false}
      dataSource={delivery.lines}
      scroll={{ x: 'max-content' }}
      columns={[
        { title: t('buyer.contract.generic'), render: (_, l) => <ContractName id={l.contract_id} /> },
        { title: t('buyer.contract.unitPrice'), dataIndex: 'unit_price', align: 'right', render: (v) => money(v as string) },
        { title: t('buyer.delivery.shippedUnits'), dataIndex: 'quantity', align: 'right', render: (v) => units(v as number) },
        { title: t('buyer.delivery.acceptedUnits'), dataIndex: 'accepted', align: 'right', render: (v) => (v == null ? '—' : units(v as number)) },
        { title: t('buyer.accept.reason'), dataIndex: 'refusal_reason', render: (v) => (v as string) || '—' },
        {
          title: t('buyer.ship.codes'),
          dataIndex: 'trace_codes',
          render: (_, l) =>
            l.trace_codes.length === 0 ? (
              t('common.none')
            ) : (
              <div role="group" style={{ maxHeight: 120, overflowY: "auto", maxWidth: 360 }} tabIndex={0} aria-label={t('buyer.ship.codes')}>
                {l.trace_codes.map((c) => (
                  <div key={c}>
                    <Typography.Text code>{c}</Typography.Text>
                  </div>
                ))}
              </div>
            ),
        },
      ]}
    />
  );
}

interface AcceptValues {
  lines: { delivery_line_id: string; accepted: number; reason?: string }[];
}

function AcceptModal({ delivery, onClose, onDone }: { delivery: Delivery | null; onClose: () => void; onDone: (d: Delivery) => void }) {
  const { t, has } = useI18n();
  const { message } = App.useApp();
  const [form] = Form.useForm<AcceptValues>();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const watched = Form.useWatch('lines', form) as AcceptValues['lines'] | undefined;
  return (
    <Modal
      open={!!delivery}
      title={t('buyer.accept.title')}
      width="min(720px, 100vw)"
      onCancel={onClose}
      okText={t('buyer.accept.submit')}
      cancelText={t('common.cancel')}
      okButtonProps={{ loading: busy, 'data-testid': 'accept-submit' } as ButtonProps}
      onOk={() => form.submit()}
      destroyOnHidden
      afterClose={() => setError(null)}
    >
      {delivery && (
        <Form<AcceptValues>
          form={form}
          layout="vertical"
          preserve={false}
          initialValues={{ lines: delivery.lines.map((l) => ({ delivery_line_id: l.id, accepted: l.quantity, reason: '' })) }}
          onFinish={async (v) => {
            setBusy(true);
            setError(null);
            try {
              const body = {
                lines: v.lines.map((l, i) => ({
                  delivery_line_id: l.delivery_line_id,
                  accepted: l.accepted,
                  reason: l.accepted < delivery.lines[i].quantity ? l.reason?.trim() || null : null,
                })),
              };
              const d = await sendJson<Delivery>('POST', '/api/v1/deliveries/{id}/acceptance', { id: delivery.id }, body);
              message.success(t('buyer.accept.done'));
              onDone(d);
            } catch (e) {
              setError(formProblem(t, has, form, e));
            } finally {
              setBusy(false);
            }
          }}
        >
          <Typography.Paragraph type="secondary">
            {t('buyer.accept.explain', { batch: delivery.batch_no, expiry: delivery.expiry_date, invoice: delivery.invoice_no })}
          </Typography.Paragraph>
          <Form.List name="lines">
            {(fields) =>
              fields.map((f, i) => {
                const l = delivery.lines[i];
                const short = (watched?.[i]?.accepted ?? l.quantity) < l.quantity;
                return (
                  <div key={f.key} style={{ borderTop: '1px solid rgba(5,5,5,0.06)', paddingTop: 12 }}>
                    <Typography.Text strong>
                      <ContractName id={l.contract_id} withSupplier={false} />
                    </Typography.Text>{' '}
                    <Typography.Text type="secondary">{t('buyer.accept.shipped', { n: units(l.quantity) })}</Typography.Text>
                    <Space wrap align="start" style={{ marginTop: 8 }}>
                      <Form.Item name={[f.name, 'delivery_line_id']} hidden>
                        <Input />
                      </Form.Item>
                      <Form.Item
                        name={[f.name, 'accepted']}
                        label={t('buyer.accept.quantity')}
                        rules={[{ required: true, type: 'number', min: 0, max: l.quantity, message: t('buyer.accept.range', { n: units(l.quantity) }) }]}
                      >
                        <InputNumber min={0} max={l.quantity} precision={0} style={{ width: 160 }} data-testid={`accept-qty-${i}`} />
                      </Form.Item>
                      <Form.Item
                        name={[f.name, 'reason']}
                        label={t('buyer.accept.reason')}
                        dependencies={[['lines', f.name, 'accepted']]}
                        extra={short ? t('buyer.accept.reasonHint', { n: units(l.quantity - (watched?.[i]?.accepted ?? l.quantity)) }) : undefined}
                        rules={[
                          ({ getFieldValue }) => ({
                            validator: (_, v: string | undefined) =>
                              (getFieldValue(['lines', f.name, 'accepted']) ?? l.quantity) < l.quantity && !v?.trim()
                                ? Promise.reject(new Error(t('buyer.accept.reasonRequired')))
                                : Promise.resolve(),
                          }),
                          { max: 2000 },
                        ]}
                      >
                        <Input style={{ width: 320, maxWidth: '100%' }} maxLength={2000} disabled={!short} data-testid={`accept-reason-${i}`} />
                      </Form.Item>
                    </Space>
                  </div>
                );
              })
            }
          </Form.List>
          <Alert type="info" showIcon message={t('buyer.accept.final')} style={{ marginTop: 8 }} />
          {error && <Alert type="error" message={error} style={{ marginTop: 12 }} />}
        </Form>
      )}
    </Modal>
  );
}
