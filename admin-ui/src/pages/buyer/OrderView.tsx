// An order's lines (ordered, shipped, moved, accepted, refused, open) and the order in a
// drawer, for the screens that name an order by its id (deliveries, supply problems).
import { useEffect, useState } from 'react';
import { Alert, Descriptions, Drawer, Table, Typography } from 'antd';
import { Link } from 'react-router';
import { api, must } from '../../api/client';
import { cst, money, provinceName, useProvinces } from '../../components/format';
import Loading from '../../components/Loading';
import { useI18n } from '../../i18n';
import { ContractName, explain, StatusTag, units, type Order, type OrderLine } from './shared';

export function OrderLines({ lines }: { lines: OrderLine[] }) {
  const { t } = useI18n();
  return (
    <Table<OrderLine>
      size="small"
      rowKey="id"
      pagination={false}
      dataSource={lines}
      scroll={{ x: 'max-content' }}
      columns={[
        { title: '#', dataIndex: 'line_no' },
        { title: t('buyer.contract.generic'), render: (_, l) => <ContractName id={l.contract_id} /> },
        { title: t('buyer.contract.product'), dataIndex: 'product_code', render: (v) => <Typography.Text code>{v}</Typography.Text> },
        { title: t('buyer.contract.unitPrice'), dataIndex: 'unit_price', align: 'right', render: (v) => money(v) },
        {
          title: t('buyer.order.quantity'),
          align: 'right',
          render: (_, l) => (
            <span>
              {units(l.quantity)}
              {l.packs != null && <Typography.Text type="secondary"> ({t('buyer.order.packsN', { n: units(l.packs) })})</Typography.Text>}
            </span>
          ),
        },
        { title: t('buyer.order.shipped'), dataIndex: 'shipped', align: 'right', render: (v) => units(v as number) },
        { title: t('buyer.order.moved'), dataIndex: 'moved', align: 'right', render: (v) => units(v as number) },
        { title: t('buyer.order.accepted'), dataIndex: 'accepted', align: 'right', render: (v) => units(v as number) },
        { title: t('buyer.order.refused'), dataIndex: 'refused', align: 'right', render: (v) => units(v as number) },
        { title: t('buyer.order.open'), dataIndex: 'open', align: 'right', render: (v) => <strong>{units(v as number)}</strong> },
        { title: t('buyer.order.amount'), dataIndex: 'amount', align: 'right', render: (v) => money(v as string) },
      ]}
    />
  );
}

/** One order in a drawer, fetched fresh. */
export function OrderDrawer({ id, onClose }: { id: string | null; onClose: () => void }) {
  const { t, has, lang } = useI18n();
  const provinces = useProvinces();
  const [order, setOrder] = useState<Order | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    if (!id) return;
    let alive = true;
    setOrder(null);
    setError(null);
    must(api.GET('/api/v1/orders/{id}', { params: { path: { id } } }))
      .then((o) => alive && setOrder(o))
      .catch((e) => alive && setError(explain(t, has, e)));
    return () => {
      alive = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [id]);
  return (
    <Drawer open={!!id} onClose={onClose} width="min(900px, 100vw)" title={t('buyer.order.title')} destroyOnHidden>
      {error && <Alert type="error" message={error} />}
      {!order && !error && <Loading />}
      {order && (
        <>
          <Descriptions size="small" column={{ xs: 1, sm: 2, md: 2, lg: 2, xl: 2, xxl: 2 }} bordered style={{ marginBottom: 16 }}>
            <Descriptions.Item label={t('buyer.order.id')}>
              <Typography.Text code copyable>
                {order.id}
              </Typography.Text>
            </Descriptions.Item>
            <Descriptions.Item label={t('common.status')}>
              <StatusTag kind="order" status={order.status} />
            </Descriptions.Item>
            <Descriptions.Item label={t('buyer.hospital')}>{order.hospital_name}</Descriptions.Item>
            <Descriptions.Item label={t('buyer.supplier')}>{order.supplier_name}</Descriptions.Item>
            <Descriptions.Item label={t('common.province')}>{provinceName(provinces, order.province, lang)}</Descriptions.Item>
            <Descriptions.Item label={t('buyer.order.amount')}>{money(order.amount)}</Descriptions.Item>
            <Descriptions.Item label={t('buyer.order.created')}>{cst(order.created_at)}</Descriptions.Item>
            <Descriptions.Item label={t('buyer.order.decided')}>{cst(order.decided_at)}</Descriptions.Item>
            {order.note && <Descriptions.Item label={t('buyer.order.note')}>{order.note}</Descriptions.Item>}
            {order.refusal_reason && (
              <Descriptions.Item label={t('buyer.order.refusalReason')}>{order.refusal_reason}</Descriptions.Item>
            )}
            {order.moved_from && (
              <Descriptions.Item label={t('buyer.order.movedFrom')}>
                <Typography.Text code>{order.moved_from}</Typography.Text>
              </Descriptions.Item>
            )}
          </Descriptions>
          <OrderLines lines={order.lines} />
          <div style={{ marginTop: 12 }}>
            <Link to={`/deliveries?order_id=${order.id}`}>{t('buyer.order.itsDeliveries')}</Link>
          </div>
        </>
      )}
    </Drawer>
  );
}
