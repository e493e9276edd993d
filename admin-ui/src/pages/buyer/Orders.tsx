// Orders (采购订单): each party sees its own; lines expand. A hospital orders, edits and
// withdraws until the supplier decides; the supplier confirms or refuses with a reason; the
// supplier, or the distributor it named, ships a confirmed order.
import { useRef, useState } from 'react';
import { PageContainer, type ProColumns } from '@ant-design/pro-components';
import { Alert, App, Button, DatePicker, Form, Input, InputNumber, Modal, Popconfirm, Space, Tag, Typography, type ButtonProps } from 'antd';
import { PlusOutlined } from '@ant-design/icons';
import dayjs, { type Dayjs } from 'dayjs';
import { Link, useLocation, useNavigate, useSearchParams } from 'react-router';
import { api, must } from '../../api/client';
import { useAuth } from '../../auth';
import ServerTable from '../../components/ServerTable';
import { cst, money } from '../../components/format';
import { useI18n } from '../../i18n';
import { OrderLines } from './OrderView';
import {
  ContractName,
  explain,
  formProblem,
  ORDER_STATUSES,
  primeOrders,
  shortId,
  StatusTag,
  statusEnum,
  TONE,
  VisuallyHidden,
  units,
  usePreloadedContracts,
  type Order,
} from './shared';

export default function Orders() {
  const { me } = useAuth();
  const { t, has } = useI18n();
  const { message } = App.useApp();
  const role = me?.role;
  const location = useLocation();
  const navigate = useNavigate();
  const [search, setSearch] = useSearchParams();
  const contractId = search.get('contract_id');
  const arrived = location.state as { created?: string; edited?: boolean } | null;
  const created = arrived?.created;
  const table = useRef<{ reload: () => void }>(null);
  const [refusing, setRefusing] = useState<Order | null>(null);
  const [shipping, setShipping] = useState<Order | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  usePreloadedContracts();

  const act = async (key: string, call: () => Promise<unknown>, done: string) => {
    setBusy(key);
    try {
      await call();
      message.success(done);
      table.current?.reload();
    } catch (e) {
      message.error(explain(t, has, e));
      table.current?.reload();
    } finally {
      setBusy(null);
    }
  };

  const columns: ProColumns<Order>[] = [
    {
      title: t('buyer.order.created'),
      dataIndex: 'created_at',
      sorter: true,
      defaultSortOrder: 'descend',
      search: false,
      render: (_, o) => {
        primeOrders([o]);
        return (
          <span>
            {cst(o.created_at)}
            {o.id === created && (
              <Tag color={TONE.gold} style={{ marginLeft: 4 }}>
                {t('buyer.order.new')}
              </Tag>
            )}
          </span>
        );
      },
    },
    { title: t('buyer.order.id'), dataIndex: 'id', search: false, render: (_, o) => <Typography.Text code>{shortId(o.id)}</Typography.Text> },
    {
      title: t('common.status'),
      dataIndex: 'status',
      sorter: true,
      valueType: 'select',
      valueEnum: statusEnum(t, 'order', ORDER_STATUSES),
      render: (_, o) => (
        <span>
          <StatusTag kind="order" status={o.status} />
          {o.refusal_reason && (
            <Typography.Text style={{ display: 'block', maxWidth: 220 }} ellipsis={{ tooltip: o.refusal_reason }}>
              {o.refusal_reason}
            </Typography.Text>
          )}
        </span>
      ),
    },
    { title: t('buyer.hospital'), dataIndex: 'hospital_name', search: false, hideInTable: role === 'hospital' },
    { title: t('buyer.supplier'), dataIndex: 'supplier_name', search: false, hideInTable: role === 'supplier' },
    {
      title: t('buyer.order.goods'),
      dataIndex: 'lines',
      search: false,
      render: (_, o) => (
        <span>
          <ContractName id={o.lines[0]?.contract_id ?? ''} withSupplier={false} />
          {o.lines.length > 1 && <Typography.Text type="secondary"> {t('buyer.order.moreLines', { n: o.lines.length - 1 })}</Typography.Text>}
        </span>
      ),
    },
    {
      title: t('buyer.order.progress'),
      search: false,
      render: (_, o) => {
        const sum = (k: 'quantity' | 'shipped' | 'accepted' | 'open') => o.lines.reduce((s, l) => s + l[k], 0);
        return (
          <span style={{ display: 'inline-block', lineHeight: 1.4 }}>
            {t('buyer.order.progressOrdered', { q: units(sum('quantity')), o: units(sum('open')) })}
            <br />
            <Typography.Text type="secondary">{t('buyer.order.progressDone', { s: units(sum('shipped')), a: units(sum('accepted')) })}</Typography.Text>
          </span>
        );
      },
    },
    { title: t('buyer.order.amount'), dataIndex: 'amount', search: false, align: 'right', render: (_, o) => money(o.amount) },
    {
      title: t('common.actions'),
      search: false,
      fixed: 'right',
      render: (_, o) => {
        const open = o.lines.some((l) => l.open > 0);
        return (
          <Space wrap size="small">
            {role === 'hospital' && o.status === 'submitted' && (
              <>
                <Link to={`/orders/new?edit=${o.id}`} data-testid={`order-edit-${o.id}`}>
                  {t('buyer.order.edit')}
                </Link>
                <Popconfirm
                  title={t('buyer.order.withdrawConfirm')}
                  okText={t('common.confirm')}
                  cancelText={t('common.cancel')}
                  onConfirm={() =>
                    act(`w${o.id}`, () => must(api.POST('/api/v1/orders/{id}/withdraw', { params: { path: { id: o.id } } })), t('buyer.order.withdrawn'))
                  }
                >
                  <Button size="small" loading={busy === `w${o.id}`} data-testid={`order-withdraw-${o.id}`}>
                    {t('buyer.order.withdraw')}
                  </Button>
                </Popconfirm>
              </>
            )}
            {role === 'supplier' && o.status === 'submitted' && (
              <>
                <Button
                  size="small"
                  type="primary"
                  loading={busy === `c${o.id}`}
                  data-testid={`order-confirm-${o.id}`}
                  onClick={() =>
                    act(`c${o.id}`, () => must(api.POST('/api/v1/orders/{id}/confirm', { params: { path: { id: o.id } } })), t('buyer.order.confirmed'))
                  }
                >
                  {t('buyer.order.confirm')}
                </Button>
                <Button size="small" onClick={() => setRefusing(o)} data-testid={`order-refuse-${o.id}`}>
                  {t('buyer.order.refuse')}
                </Button>
              </>
            )}
            {(role === 'supplier' || role === 'distributor') && o.status === 'confirmed' && open && (
              <Button size="small" type="primary" onClick={() => setShipping(o)} data-testid={`order-ship-${o.id}`}>
                {t('buyer.order.ship')}
              </Button>
            )}
            {o.lines.some((l) => l.shipped > 0) && <Link to={`/deliveries?order_id=${o.id}`}>{t('buyer.order.deliveriesLink')}</Link>}
          </Space>
        );
      },
    },
  ];

  // (a variable, not a literal: ServerTable's type names only the render, antd takes the title too)
  const expandable = { expandedRowRender: (o: Order) => <OrderDetail order={o} />, columnTitle: <VisuallyHidden>{t('buyer.lines')}</VisuallyHidden> };
  return (
    <PageContainer title={t('menu.orders')}>
      {created && (
        <Alert
          type="success"
          showIcon
          closable
          onClose={() => navigate('/orders', { replace: true, state: null })}
          style={{ marginBottom: 16 }}
          data-testid="order-created"
          message={t(arrived?.edited ? 'buyer.order.savedMsg' : 'buyer.order.createdMsg', { id: shortId(created) })}
        />
      )}
      {contractId && (
        <Space style={{ marginBottom: 16 }} wrap>
          <Typography.Text>{t('buyer.order.ofContract')}</Typography.Text>
          <Tag
            closable
            onClose={() => {
              search.delete('contract_id');
              setSearch(search, { replace: true });
            }}
          >
            <ContractName id={contractId} />
          </Tag>
        </Space>
      )}
      <ServerTable<Order>
        path="/api/v1/orders"
        rowKey="id"
        columns={columns}
        tableRef={table}
        params={contractId ? { contract_id: contractId } : undefined}
        expandable={expandable}
        toolbar={
          role === 'hospital'
            ? [
                <Link key="new" to="/orders/new" data-testid="order-new">
                  <Button type="primary" icon={<PlusOutlined />} tabIndex={-1}>
                    {t('buyer.order.newButton')}
                  </Button>
                </Link>,
              ]
            : undefined
        }
      />
      <RefuseModal
        order={refusing}
        onClose={() => setRefusing(null)}
        onDone={() => {
          setRefusing(null);
          table.current?.reload();
        }}
      />
      <ShipModal
        order={shipping}
        onClose={() => setShipping(null)}
        onDone={() => {
          setShipping(null);
          table.current?.reload();
        }}
      />
    </PageContainer>
  );
}

function OrderDetail({ order }: { order: Order }) {
  const { t } = useI18n();
  return (
    <div style={{ padding: '4px 0' }}>
      {order.note && (
        <Typography.Paragraph>
          <Typography.Text type="secondary">{t('buyer.order.note')}：</Typography.Text>
          {order.note}
        </Typography.Paragraph>
      )}
      {order.decided_at && (
        <Typography.Paragraph>
          <Typography.Text type="secondary">{t('buyer.order.decided')}：</Typography.Text>
          {cst(order.decided_at)}
        </Typography.Paragraph>
      )}
      <OrderLines lines={order.lines} />
    </div>
  );
}

function RefuseModal({ order, onClose, onDone }: { order: Order | null; onClose: () => void; onDone: () => void }) {
  const { t, has } = useI18n();
  const { message } = App.useApp();
  const [form] = Form.useForm<{ reason: string }>();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  return (
    <Modal
      open={!!order}
      title={t('buyer.order.refuseTitle')}
      onCancel={onClose}
      okText={t('buyer.order.refuse')}
      cancelText={t('common.cancel')}
      okButtonProps={{ loading: busy, 'data-testid': 'refuse-submit' } as ButtonProps}
      onOk={() => form.submit()}
      destroyOnHidden
      afterClose={() => {
        form.resetFields();
        setError(null);
      }}
    >
      {order && (
        <Typography.Paragraph>
          {order.hospital_name} · {money(order.amount)}
        </Typography.Paragraph>
      )}
      <Form
        form={form}
        layout="vertical"
        onFinish={async (v) => {
          if (!order) return;
          setBusy(true);
          setError(null);
          try {
            await must(api.POST('/api/v1/orders/{id}/refuse', { params: { path: { id: order.id } }, body: { reason: v.reason } }));
            message.success(t('buyer.order.refusedMsg'));
            onDone();
          } catch (e) {
            setError(formProblem(t, has, form, e));
          } finally {
            setBusy(false);
          }
        }}
      >
        <Form.Item name="reason" label={t('buyer.order.refuseReason')} extra={t('buyer.order.refuseHint')} rules={[{ required: true, whitespace: true, max: 2000 }]}>
          <Input.TextArea rows={3} maxLength={2000} showCount data-testid="refuse-reason" />
        </Form.Item>
      </Form>
      {error && <Alert type="error" message={error} />}
    </Modal>
  );
}

interface ShipLine {
  order_line_id: string;
  quantity?: number | null;
  trace_codes?: string;
}
interface ShipForm {
  batch_no: string;
  expiry_date: Dayjs;
  invoice_no: string;
  lines: ShipLine[];
}

/** A delivery of a confirmed order: batch, expiry, invoice and, per open line, the units shipped and their codes. */
function ShipModal({ order, onClose, onDone }: { order: Order | null; onClose: () => void; onDone: () => void }) {
  const { t, has } = useI18n();
  const { message } = App.useApp();
  const [form] = Form.useForm<ShipForm>();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const open = order?.lines.filter((l) => l.open > 0) ?? [];
  const submit = async (v: ShipForm) => {
    if (!order) return;
    // the request carries only the lines shipped now; remember each one's place in the form
    const sent: number[] = [];
    const lines = v.lines.flatMap((l, i) => {
      if (!l.quantity) return [];
      sent.push(i);
      const codes = (l.trace_codes ?? '')
        .split(/[\s,;，；]+/)
        .map((s) => s.trim())
        .filter(Boolean);
      return [{ order_line_id: l.order_line_id, quantity: l.quantity, ...(codes.length ? { trace_codes: codes } : {}) }];
    });
    if (!lines.length) {
      setError(t('buyer.ship.nothing'));
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await must(
        api.POST('/api/v1/orders/{id}/deliveries', {
          params: { path: { id: order.id } },
          body: { batch_no: v.batch_no.trim(), invoice_no: v.invoice_no.trim(), expiry_date: v.expiry_date.format('YYYY-MM-DD'), lines },
        }),
      );
      message.success(t('buyer.ship.done'));
      onDone();
    } catch (e) {
      setError(
        formProblem(t, has, form, e, (p) => {
          if (p[0] === 'lines' && typeof p[1] === 'number' && sent[p[1]] !== undefined) {
            const field = p[2] === 'trace_codes' ? 'trace_codes' : p[2] === 'quantity' ? 'quantity' : null;
            return field ? ['lines', sent[p[1]], field] : null;
          }
          return ['batch_no', 'invoice_no', 'expiry_date'].includes(String(p[0])) ? p : null;
        }),
      );
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal
      open={!!order}
      title={t('buyer.ship.title')}
      width="min(760px, 100vw)"
      onCancel={onClose}
      okText={t('buyer.ship.submit')}
      cancelText={t('common.cancel')}
      okButtonProps={{ loading: busy, 'data-testid': 'ship-submit' } as ButtonProps}
      onOk={() => form.submit()}
      destroyOnHidden
      afterClose={() => setError(null)}
    >
      {order && (
        <Form<ShipForm>
          form={form}
          layout="vertical"
          preserve={false}
          initialValues={{ lines: open.map((l) => ({ order_line_id: l.id, quantity: l.open, trace_codes: '' })) }}
          onFinish={submit}
        >
          <Typography.Paragraph type="secondary">
            {order.hospital_name} · {t('buyer.order.id')} {shortId(order.id)}
          </Typography.Paragraph>
          <Space wrap align="start">
            <Form.Item name="batch_no" label={t('buyer.ship.batch')} rules={[{ required: true, whitespace: true, max: 64 }]}>
              <Input style={{ width: 180 }} maxLength={64} data-testid="ship-batch" />
            </Form.Item>
            <Form.Item name="expiry_date" label={t('buyer.ship.expiry')} rules={[{ required: true }]}>
              <DatePicker style={{ width: 180 }} disabledDate={(d) => !d.isAfter(dayjs(), 'day')} data-testid="ship-expiry" />
            </Form.Item>
            <Form.Item name="invoice_no" label={t('buyer.ship.invoice')} rules={[{ required: true, whitespace: true, max: 64 }]}>
              <Input style={{ width: 180 }} maxLength={64} data-testid="ship-invoice" />
            </Form.Item>
          </Space>
          <Form.List name="lines">
            {(fields) =>
              fields.map((f) => {
                const l = open[f.name];
                return (
                  <div key={f.key} style={{ borderTop: '1px solid rgba(5,5,5,0.06)', paddingTop: 12 }}>
                    <Typography.Text strong>
                      {l.line_no}. <ContractName id={l.contract_id} withSupplier={false} />
                    </Typography.Text>{' '}
                    <Typography.Text type="secondary">
                      {t('buyer.ship.openOf', { open: units(l.open), q: units(l.quantity) })}
                    </Typography.Text>
                    <Space wrap align="start" style={{ marginTop: 8 }}>
                      <Form.Item name={[f.name, 'order_line_id']} hidden>
                        <Input />
                      </Form.Item>
                      <Form.Item
                        name={[f.name, 'quantity']}
                        label={t('buyer.ship.quantity')}
                        extra={t('buyer.ship.zeroSkips')}
                        rules={[{ type: 'number', min: 0, max: l.open, message: t('buyer.ship.atMost', { n: units(l.open) }) }]}
                      >
                        <InputNumber min={0} max={l.open} precision={0} style={{ width: 160 }} data-testid={`ship-qty-${f.name}`} />
                      </Form.Item>
                      <Form.Item name={[f.name, 'trace_codes']} label={t('buyer.ship.codes')} extra={t('buyer.ship.codesHint')}>
                        <Input.TextArea rows={3} style={{ width: 320, maxWidth: '100%' }} data-testid={`ship-codes-${f.name}`} />
                      </Form.Item>
                    </Space>
                  </div>
                );
              })
            }
          </Form.List>
          {error && <Alert type="error" message={error} />}
        </Form>
      )}
    </Modal>
  );
}
