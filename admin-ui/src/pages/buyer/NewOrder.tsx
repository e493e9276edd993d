// A hospital's order (采购订单) against its province's active contracts, in minimum units or
// whole packs, all lines of one supplier (the server refuses mixed suppliers; its refusal is
// shown on the line at fault). `?edit=<id>` replaces the lines of an undecided order.
// The Idempotency-Key is made once per form: a retry after a lost answer is the same order.
import { useEffect, useMemo, useRef, useState } from 'react';
import { PageContainer } from '@ant-design/pro-components';
import { Alert, App, Button, Card, Form, Input, InputNumber, Select, Space, Typography } from 'antd';
import { DeleteOutlined, PlusOutlined } from '@ant-design/icons';
import dayjs from 'dayjs';
import { useNavigate, useSearchParams } from 'react-router';
import { api, getJson, must, sendJson, type Page, type Schemas } from '../../api/client';
import { problemOf } from '../../api/problem';
import { useAuth } from '../../auth';
import { money } from '../../components/format';
import Loading from '../../components/Loading';
import { useI18n } from '../../i18n';
import FormSelect from '../../components/FormSelect';
import { explain, formProblem, lineOfDetail, Lookup, primeContracts, units, useLookup, type Contract, type Order } from './shared';

type Unit = 'unit' | 'pack';
interface Line {
  contract_id?: string;
  quantity?: number | null;
  unit: Unit;
}
interface Values {
  lines: Line[];
  note?: string;
}

const itemLookup = new Lookup<Schemas['ItemDetailDto']>((code) => must(api.GET('/api/v1/catalog/items/{code}', { params: { path: { code } } })));

function newKey(): string {
  // randomUUID needs a secure context (https or localhost); getRandomValues does not
  const c: Crypto = globalThis.crypto;
  if (typeof c.randomUUID === 'function' && globalThis.isSecureContext) return c.randomUUID();
  const b = c.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** China's date today, as the cycles' dates are. */
function chinaToday(): string {
  return dayjs.utc().add(8, 'hour').format('YYYY-MM-DD');
}

export default function NewOrder() {
  const { me } = useAuth();
  const { t, has } = useI18n();
  const { message } = App.useApp();
  const navigate = useNavigate();
  const [search] = useSearchParams();
  const editId = search.get('edit');
  const [form] = Form.useForm<Values>();
  const [contracts, setContracts] = useState<Contract[] | null>(null);
  const [editing, setEditing] = useState<Order | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  // one key per form: kept across retries of this form, so a retry cannot order twice
  const idempotencyKey = useRef<string>(newKey());
  const lines = Form.useWatch('lines', form) as Line[] | undefined;

  useEffect(() => {
    let alive = true;
    (async () => {
      const all: Contract[] = [];
      for (let page = 1; page <= 10; page++) {
        const p = await getJson<Page<Contract>>('/api/v1/contracts', { status: 'active', page, per_page: 200 });
        all.push(...p.items);
        if (all.length >= p.total || p.items.length === 0) break;
      }
      primeContracts(all);
      const today = chinaToday();
      return all.filter((c) => c.cycle_end >= today && (!me?.province || c.province === me.province));
    })()
      .then((list) => alive && setContracts(list))
      .catch((e) => alive && setLoadError(explain(t, has, e)));
    return () => {
      alive = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  useEffect(() => {
    if (!editId) return;
    let alive = true;
    must(api.GET('/api/v1/orders/{id}', { params: { path: { id: editId } } }))
      .then((o) => {
        if (!alive) return;
        setEditing(o);
      })
      .catch((e) => alive && setLoadError(explain(t, has, e)));
    return () => {
      alive = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [editId]);

  const byId = useMemo(() => new Map((contracts ?? []).map((c) => [c.id, c])), [contracts]);
  const chosen = (lines ?? []).map((l) => (l?.contract_id ? byId.get(l.contract_id) : undefined));
  const getItem = useLookup(itemLookup, chosen.map((c) => c?.product_code));
  const firstSupplier = chosen.find(Boolean)?.supplier_org_id;
  const options = (contracts ?? []).map((c) => ({
    value: c.id,
    label: `${c.generic_name} · ${c.supplier_name} · ${money(c.unit_price)}`,
    title: `${c.generic_name} · ${c.supplier_name} · ${c.product_code}`,
  }));
  const locked = editing != null && editing.status !== 'submitted';

  const estimate = (lines ?? []).reduce((sum, l, i) => {
    const c = chosen[i];
    if (!c || !l?.quantity) return sum;
    const per = l.unit === 'pack' ? getItem(c.product_code)?.pack_count ?? 0 : 1;
    return sum + l.quantity * per * Number(c.unit_price);
  }, 0);

  const submit = async (v: Values) => {
    setBusy(true);
    setError(null);
    const body = {
      lines: v.lines.map((l) => ({ contract_id: l.contract_id!, quantity: l.quantity!, unit: l.unit })),
      note: v.note?.trim() ? v.note.trim() : null,
    };
    try {
      const order = editing
        ? await sendJson<Order>('PUT', '/api/v1/orders/{id}', { id: editing.id }, body)
        : await sendJson<Order>('POST', '/api/v1/orders', undefined, body, { 'Idempotency-Key': idempotencyKey.current });
      message.success(editing ? t('buyer.newOrder.saved') : t('buyer.newOrder.sent'));
      navigate('/orders', { state: { created: order.id, edited: !!editing } });
    } catch (e) {
      const p = problemOf(e);
      // a rule about one line goes next to that line's contract
      let line = lineOfDetail(e);
      if (p.code === 'order_mixed_suppliers') {
        const first = body.lines.map((l) => byId.get(l.contract_id)?.supplier_org_id).find(Boolean);
        const at = body.lines.findIndex((l) => byId.get(l.contract_id)?.supplier_org_id !== first);
        line = at > 0 ? at : body.lines.length - 1;
      }
      if (line != null && !p.errors?.length && line < body.lines.length) {
        form.setFields([{ name: ['lines', line, 'contract_id'], errors: [explain(t, has, e)] }]);
      } else {
        setError(formProblem(t, has, form, e));
      }
    } finally {
      setBusy(false);
    }
  };

  const initial: Values = editing
    ? {
        lines: editing.lines.map((l) =>
          l.packs != null ? { contract_id: l.contract_id, quantity: l.packs, unit: 'pack' } : { contract_id: l.contract_id, quantity: l.quantity, unit: 'unit' },
        ),
        note: editing.note ?? undefined,
      }
    : { lines: [{ unit: 'unit' }] };
  const ready = contracts !== null && (!editId || editing !== null);
  const title = editId ? t('buyer.newOrder.editTitle') : t('buyer.newOrder.title');
  return (
    <PageContainer title={title}>
      {loadError && <Alert type="error" message={loadError} style={{ marginBottom: 16 }} />}
      {locked && <Alert type="warning" message={t('buyer.newOrder.locked')} style={{ marginBottom: 16 }} />}
      {!ready ? (
        !loadError && <Loading />
      ) : (
        <Card>
          {contracts && contracts.length === 0 && <Alert type="info" message={t('buyer.newOrder.noContracts')} style={{ marginBottom: 16 }} />}
          <Typography.Paragraph type="secondary">{t('buyer.newOrder.explain')}</Typography.Paragraph>
          <Form<Values> key={editing?.id ?? 'new'} form={form} layout="vertical" initialValues={initial} onFinish={submit} disabled={locked}>
            <Form.List name="lines">
              {(fields, { add, remove }) => (
                <>
                  {fields.map((f, i) => {
                    const c = chosen[i];
                    const item = c ? getItem(c.product_code) : undefined;
                    const l = lines?.[i];
                    const otherSupplier = c && firstSupplier && c.supplier_org_id !== firstSupplier;
                    return (
                      <div key={f.key} style={{ borderBottom: '1px solid rgba(5,5,5,0.06)', marginBottom: 12 }}>
                        <Space wrap align="start" style={{ width: '100%' }}>
                          <Form.Item
                            name={[f.name, 'contract_id']}
                            label={t('buyer.newOrder.contract', { n: i + 1 })}
                            rules={[{ required: true, message: t('buyer.newOrder.pickContract') }]}
                            extra={otherSupplier ? <Typography.Text strong>⚠ {t('buyer.newOrder.oneSupplier')}</Typography.Text> : undefined}
                            style={{ minWidth: 280, maxWidth: 520, width: 'min(520px, 80vw)' }}
                          >
                            <FormSelect
                              showSearch
                              optionFilterProp="label"
                              options={options}
                              placeholder={t('buyer.newOrder.pickContract')}
                              data-testid={`order-contract-${i}`}
                              popupMatchSelectWidth={false}
                            />
                          </Form.Item>
                          <Form.Item name={[f.name, 'quantity']} label={t('buyer.newOrder.quantity')} rules={[{ required: true, type: 'number', min: 1 }]}>
                            <InputNumber min={1} precision={0} style={{ width: 150 }} data-testid={`order-qty-${i}`} />
                          </Form.Item>
                          <Form.Item name={[f.name, 'unit']} label={t('buyer.newOrder.unit')}>
                            <Select
                              style={{ width: 130 }}
                              data-testid={`order-unit-${i}`}
                              options={[
                                { value: 'unit', label: t('buyer.newOrder.unitUnit') },
                                { value: 'pack', label: t('buyer.newOrder.unitPack') },
                              ]}
                            />
                          </Form.Item>
                          {fields.length > 1 && (
                            <Form.Item label=" " colon={false}>
                              <Button icon={<DeleteOutlined />} aria-label={t('buyer.newOrder.removeLine', { n: i + 1 })} onClick={() => remove(f.name)} />
                            </Form.Item>
                          )}
                        </Space>
                        {c && (
                          <Typography.Paragraph type="secondary" style={{ marginTop: -8 }}>
                            {t('buyer.newOrder.lineInfo', { product: c.product_code, price: money(c.unit_price) })}
                            {item && ` · ${t('buyer.newOrder.packInfo', { n: item.pack_count, spec: [item.strength, item.strength_unit].filter(Boolean).join('') })}`}
                            {item && l?.unit === 'pack' && l.quantity ? ` · ${t('buyer.newOrder.equals', { n: units(l.quantity * item.pack_count) })}` : ''}
                          </Typography.Paragraph>
                        )}
                      </div>
                    );
                  })}
                  <Button type="dashed" icon={<PlusOutlined />} onClick={() => add({ unit: 'unit' })} style={{ marginBottom: 16 }} data-testid="order-add-line">
                    {t('buyer.newOrder.addLine')}
                  </Button>
                </>
              )}
            </Form.List>
            <Form.Item name="note" label={t('buyer.order.note')} rules={[{ max: 2000 }]}>
              <Input.TextArea rows={2} maxLength={2000} showCount data-testid="order-note" />
            </Form.Item>
            {estimate > 0 && (
              <Typography.Paragraph>
                {t('buyer.newOrder.estimate', { amount: estimate.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 }) })}
              </Typography.Paragraph>
            )}
            {error && <Alert type="error" message={error} style={{ marginBottom: 16 }} />}
            <Space wrap>
              <Button type="primary" htmlType="submit" loading={busy} data-testid="order-submit">
                {editing ? t('common.save') : t('buyer.newOrder.submit')}
              </Button>
              <Button onClick={() => navigate('/orders')}>{t('common.cancel')}</Button>
            </Space>
          </Form>
        </Card>
      )}
    </PageContainer>
  );
}
