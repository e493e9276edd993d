// Disputed statement lines: a supplier sees its own, an insurer its province's (and resolves
// them: the line becomes payable again), auditors and admins all. The route answers an array
// (newest first, at most 10,000), paged here.
import { PageContainer } from '@ant-design/pro-components';
import { Alert, App, Button, Card, Descriptions, Form, Input, Modal, Segmented, Space, Table, Tag, Typography } from 'antd';
import { ReloadOutlined } from '@ant-design/icons';
import { useCallback, useEffect, useState } from 'react';
import { getJson, sendJson, type Schemas } from '../../api/client';
import { useAuth } from '../../auth';
import { useI18n } from '../../i18n';
import { cst, provinceName, useProvinces } from '../../components/format';
import { partyName, useParties } from '../supplier/parties';
import { explain } from '../supplier/settlement';

type Dispute = Schemas['DisputeDto'];
type Filter = 'open' | 'resolved' | 'all';

export default function Disputes() {
  const { me } = useAuth();
  const { t, has, lang } = useI18n();
  const { message } = App.useApp();
  const provinces = useProvinces();
  const parties = useParties(me);
  const [filter, setFilter] = useState<Filter>('open');
  const [rows, setRows] = useState<Dispute[]>([]);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [resolving, setResolving] = useState<Dispute | null>(null);
  const [busy, setBusy] = useState(false);
  const [form] = Form.useForm<{ resolution: string }>();
  const isInsurer = me?.role === 'insurer';

  const load = useCallback(async () => {
    setLoading(true);
    setError(null);
    try {
      const open = filter === 'all' ? undefined : filter === 'open';
      setRows(await getJson<Dispute[]>('/api/v1/settlements/disputes', { open }));
    } catch (e) {
      setError(explain(t, has, e));
    } finally {
      setLoading(false);
    }
  }, [filter, t, has]);

  useEffect(() => {
    load();
  }, [load]);

  async function resolve(v: { resolution: string }) {
    if (!resolving) return;
    setBusy(true);
    try {
      await sendJson('POST', '/api/v1/settlements/disputes/{id}/resolve', { id: resolving.id }, { resolution: v.resolution.trim() });
      message.success(t('supplier.disp.resolvedMsg'));
      setResolving(null);
      form.resetFields();
      await load();
    } catch (e) {
      message.error(explain(t, has, e));
    } finally {
      setBusy(false);
    }
  }

  return (
    <PageContainer title={t('menu.disputes')}>
      <Card
        title={
          <Segmented<Filter>
            value={filter}
            onChange={setFilter}
            aria-label={t('supplier.disp.filter')}
            data-testid="disputes-filter"
            options={[
              { value: 'open', label: t('supplier.disp.open') },
              { value: 'resolved', label: t('supplier.disp.resolved') },
              { value: 'all', label: t('common.all') },
            ]}
          />
        }
        extra={
          <Button icon={<ReloadOutlined />} onClick={load} aria-label={t('common.refresh')}>
            {t('common.refresh')}
          </Button>
        }
      >
        {error && <Alert type="error" showIcon message={error} style={{ marginBottom: 16 }} />}
        <Table<Dispute>
          rowKey="id"
          loading={loading}
          dataSource={rows}
          size="middle"
          scroll={{ x: 'max-content' }}
          pagination={{ defaultPageSize: 20, showSizeChanger: true, pageSizeOptions: [10, 20, 50, 100], showTotal: (n) => t('common.total', { total: n }) }}
          locale={{ emptyText: t('supplier.disp.none') }}
          columns={[
            { title: t('supplier.disp.raisedAt'), dataIndex: 'raised_at', render: (v: string) => cst(v) },
            ...(me?.role === 'supplier'
              ? []
              : [{ title: t('supplier.stmt.supplier'), key: 'supplier', render: (_: unknown, d: Dispute) => partyName(parties, d.supplier_org_id) }]),
            { title: t('common.province'), dataIndex: 'province', render: (p: string) => provinceName(provinces, p, lang) },
            {
              title: t('supplier.disp.line'),
              dataIndex: 'delivery_line_id',
              render: (v: string) => (
                <Typography.Text copyable={{ text: v }} style={{ fontFamily: 'monospace' }}>
                  {v.slice(0, 8)}…
                </Typography.Text>
              ),
            },
            {
              title: t('supplier.disp.reason'),
              dataIndex: 'reason',
              render: (v: string) => <Typography.Paragraph ellipsis={{ rows: 2, expandable: true, symbol: t('supplier.more') }} style={{ maxWidth: 320, margin: 0 }}>{v}</Typography.Paragraph>,
            },
            {
              title: t('common.status'),
              key: 'status',
              render: (_: unknown, d: Dispute) =>
                d.resolved_at ? <Tag color="green">{t('supplier.disp.resolved')}</Tag> : <Tag color="orange">{t('supplier.disp.open')}</Tag>,
            },
            {
              title: t('supplier.disp.resolution'),
              key: 'resolution',
              render: (_: unknown, d: Dispute) =>
                d.resolved_at ? (
                  <Space direction="vertical" size={0} style={{ maxWidth: 320 }}>
                    <Typography.Paragraph ellipsis={{ rows: 2, expandable: true, symbol: t('supplier.more') }} style={{ margin: 0 }}>
                      {d.resolution}
                    </Typography.Paragraph>
                    <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                      {cst(d.resolved_at)}
                    </Typography.Text>
                  </Space>
                ) : (
                  '—'
                ),
            },
            ...(isInsurer
              ? [
                  {
                    title: t('common.actions'),
                    key: 'actions',
                    render: (_: unknown, d: Dispute) =>
                      d.resolved_at ? null : (
                        <Button size="small" type="primary" onClick={() => setResolving(d)} data-testid={`resolve-${d.id}`}>
                          {t('supplier.disp.resolve')}
                        </Button>
                      ),
                  },
                ]
              : []),
          ]}
        />
      </Card>
      <Modal
        open={!!resolving}
        title={t('supplier.disp.resolveTitle')}
        okText={t('common.submit')}
        cancelText={t('common.cancel')}
        confirmLoading={busy}
        onOk={() => form.submit()}
        onCancel={() => setResolving(null)}
        destroyOnHidden
      >
        {resolving && (
          <>
            <Descriptions size="small" column={1} style={{ marginBottom: 16 }}>
              <Descriptions.Item label={t('supplier.stmt.supplier')}>{partyName(parties, resolving.supplier_org_id)}</Descriptions.Item>
              <Descriptions.Item label={t('supplier.disp.raisedAt')}>{cst(resolving.raised_at)}</Descriptions.Item>
              <Descriptions.Item label={t('supplier.disp.reason')}>{resolving.reason}</Descriptions.Item>
            </Descriptions>
            <Alert type="info" showIcon message={t('supplier.disp.resolveHint')} style={{ marginBottom: 16 }} />
            <Form form={form} layout="vertical" onFinish={resolve}>
              <Form.Item
                name="resolution"
                label={t('supplier.disp.resolution')}
                rules={[{ required: true, whitespace: true, message: t('supplier.required') }, { max: 2000 }]}
              >
                <Input.TextArea rows={4} maxLength={2000} showCount data-testid="resolution" />
              </Form.Item>
            </Form>
          </>
        )}
      </Modal>
    </PageContainer>
  );
}
