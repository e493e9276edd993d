// An editable table of a round's lots with one annual quantity each (minimum units): the
// demand a hospital or a provincial centre reports. Field errors of the server
// (`lines[i].annual_quantity`, `lines[i].lot_id`) go next to row i.
import { Alert, App, Button, Form, InputNumber, Space, Table, Typography } from 'antd';
import { useEffect, useState } from 'react';
import type { Schemas } from '../../api/client';
import { describe, problemOf } from '../../api/problem';
import { useI18n } from '../../i18n';
import { cst } from '../../components/format';
import { formName } from './names';

type Lot = Schemas['LotDto'];
export type DemandLine = Schemas['DemandLine'];

interface Props {
  lots: Lot[];
  /** the figures reported so far, by lot */
  values: Record<string, number | undefined>;
  /** when each was reported, by lot */
  reportedAt?: Record<string, string | undefined>;
  editable: boolean;
  /** sends the lines (one per lot, in the table's order); throws the API's error */
  onSave?: (lines: DemandLine[]) => Promise<void>;
  /** a prefix for the inputs' test ids (several tables on a page) */
  testPrefix?: string;
}

const MAX = 1_000_000_000_000;

export default function DemandTable({ lots, values, reportedAt, editable, onSave, testPrefix = 'demand' }: Props) {
  const { t, has } = useI18n();
  const { message } = App.useApp();
  const [form] = Form.useForm<{ lines: { lot_id: string; annual_quantity?: number | null }[] }>();
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    form.setFieldsValue({ lines: lots.map((l) => ({ lot_id: l.id, annual_quantity: values[l.id] ?? null })) });
  }, [form, lots, values]);

  async function save(v: { lines: { lot_id: string; annual_quantity?: number | null }[] }) {
    if (!onSave) return;
    setSaving(true);
    setError(null);
    try {
      await onSave(lots.map((l, i) => ({ lot_id: l.id, annual_quantity: Number(v.lines[i]?.annual_quantity ?? 0) })));
      message.success(t('supplier.demand.saved'));
    } catch (e) {
      const p = problemOf(e);
      const fields: { name: ['lines', number, 'annual_quantity']; errors: string[] }[] = [];
      const left: string[] = [];
      for (const fe of p.errors ?? []) {
        const m = /^lines\[(\d+)\]\.(\w+)$/.exec(fe.field);
        if (m && Number(m[1]) < lots.length) fields.push({ name: ['lines', Number(m[1]), 'annual_quantity'], errors: [fe.message] });
        else left.push(`${fe.field}: ${fe.message}`);
      }
      if (fields.length) form.setFields(fields);
      if (!fields.length || left.length) setError([describe(t, has, e), ...left].join('；'));
    } finally {
      setSaving(false);
    }
  }

  return (
    <Form form={form} onFinish={save} component={editable ? 'form' : false}>
      <Table<Lot>
        rowKey="id"
        dataSource={lots}
        pagination={false}
        scroll={{ x: 'max-content' }}
        size="middle"
        columns={[
          { title: t('supplier.demand.lotNo'), dataIndex: 'number', width: 80 },
          {
            title: t('supplier.demand.lot'),
            key: 'name',
            render: (_, l) => (
              <Space direction="vertical" size={0}>
                <Typography.Text strong>{l.generic_name}</Typography.Text>
                <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                  {formName(t, has, l.dosage_form)} · {l.representative_code}
                </Typography.Text>
              </Space>
            ),
          },
          {
            title: t('supplier.demand.qty'),
            key: 'qty',
            render: (_, l, i) =>
              editable ? (
                <Form.Item
                  name={['lines', i, 'annual_quantity']}
                  style={{ margin: 0, minWidth: 200 }}
                  rules={[
                    { required: true, message: t('supplier.demand.qtyRequired') },
                    { type: 'integer', min: 0, max: MAX, message: t('supplier.demand.qtyInvalid') },
                  ]}
                >
                  <InputNumber<number>
                    aria-label={t('supplier.demand.qtyLabel', { n: l.number, name: l.generic_name })}
                    data-testid={`${testPrefix}-qty-${l.number}`}
                    min={0}
                    max={MAX}
                    precision={0}
                    style={{ width: 200 }}
                    formatter={(v) => `${v ?? ''}`.replace(/\B(?=(\d{3})+(?!\d))/g, ',')}
                    parser={(v) => (v ?? '').replace(/[,\s]/g, '') as unknown as number}
                  />
                </Form.Item>
              ) : values[l.id] === undefined ? (
                <Typography.Text type="secondary">{t('supplier.demand.notReported')}</Typography.Text>
              ) : (
                values[l.id]!.toLocaleString()
              ),
          },
          {
            title: t('supplier.demand.reportedAt'),
            key: 'at',
            render: (_, l) => (reportedAt?.[l.id] ? cst(reportedAt[l.id]) : '—'),
          },
        ]}
      />
      {error && <Alert type="error" showIcon message={error} style={{ marginTop: 16 }} />}
      {editable && (
        <Button type="primary" htmlType="submit" loading={saving} style={{ marginTop: 16 }} data-testid={`${testPrefix}-save`}>
          {t('common.save')}
        </Button>
      )}
    </Form>
  );
}
