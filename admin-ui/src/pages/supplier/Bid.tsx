// A supplier's bids on one round: the form (lot, own product, price, capacity, province
// preferences) with the ceiling that applies and the unit comparable price as it is typed,
// refusing an above-ceiling bid before it is sent; the signed receipts, each verifiable in
// the browser; withdrawal before the deadline; and, once awarded, what each bid won and why.
import { PageContainer } from '@ant-design/pro-components';
import {
  Alert,
  App,
  Button,
  Card,
  Col,
  Descriptions,
  Empty,
  Form,
  Input,
  InputNumber,
  Popconfirm,
  Row,
  Select,
  Space,
  Table,
  Tag,
  Typography,
} from 'antd';
import { CheckCircleOutlined, CloseCircleOutlined, SafetyCertificateOutlined } from '@ant-design/icons';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { useParams } from 'react-router';
import { api, getJson, must, sendJson, type Page, type Schemas } from '../../api/client';
import { applyFieldErrors, describe, problemOf } from '../../api/problem';
import { useAuth } from '../../auth';
import { useI18n } from '../../i18n';
import Countdown, { useServerNow } from '../../components/Countdown';
import Loading from '../../components/Loading';
import { cst, provinceName, useProvinces } from '../../components/format';
import { RoundStatus } from '../../components/RoundStatus';
import { ceilingOn, comparablePrice, comparisonOf, compareDecimal, PRICE_RE, type UcpResult } from './ucp';
import { verifyReceipt } from './receipt';
import { formName, specText } from './names';
import { explain } from './settlement';
import FormSelect from '../../components/FormSelect';

type Round = Schemas['RoundDto'];
type Lot = Schemas['LotDto'];
type Item = Schemas['ItemDto'];
type ItemDetail = Schemas['ItemDetailDto'];
type Receipt = Schemas['Receipt'];
type Results = Schemas['Results'];

interface BidForm {
  lot_id?: string;
  product_code?: string;
  unit_price?: string;
  annual_capacity?: number | null;
  province_preferences?: string[];
}

const ELIGIBLE_CONSISTENCY = ['originator', 'reference', 'passed'];

/** Every page of a list route (lists here are small: a round's lots, a supplier's receipts). */
async function all<T>(path: Parameters<typeof getJson>[0], params: Record<string, string>, query: Record<string, unknown> = {}) {
  const out: T[] = [];
  for (let page = 1; page < 50; page++) {
    const p = await getJson<Page<T>>(path, { ...query, page, per_page: 200 }, params);
    out.push(...p.items);
    if (out.length >= p.total || p.items.length === 0) break;
  }
  return out;
}

/** A winner's reason in the user's language, from the server's words (its English form). */
function winReason(t: (k: string, v?: Record<string, string>) => string, text: string): string {
  const why = /^won, rank \d+: (.*)$/.exec(text)?.[1];
  if (!why) return text;
  const m = (re: RegExp) => re.exec(why);
  let r: RegExpExecArray | null;
  if (why === 'the lowest UCP') return t('supplier.why.lowest');
  if ((r = m(/^UCP within the limit (\S+) \(ratio of the lowest\)$/))) return t('supplier.why.ratioOfLowest', { limit: r[1] });
  if ((r = m(/^UCP at or below the absolute threshold (\S+)$/))) return t('supplier.why.absolute', { limit: r[1] });
  if ((r = m(/^UCP at or below (\S+) \(share of the ceiling\)$/))) return t('supplier.why.shareOfCeiling', { limit: r[1] });
  if ((r = m(/^UCP within (\S+) \(ratio of the anchor (\S+)\)$/))) return t('supplier.why.anchor', { limit: r[1], anchor: r[2] });
  if ((r = m(/^oral solid at or below (\S+)$/))) return t('supplier.why.oralSolid', { limit: r[1] });
  if ((r = m(/^accepted the revival price \(UCP (\S+)\)$/))) return t('supplier.why.revival', { ucp: r[1] });
  return text;
}

export default function Bid() {
  const { id = '' } = useParams();
  const { me } = useAuth();
  const { t, has, lang } = useI18n();
  const { message } = App.useApp();
  const provinces = useProvinces();
  const now = useServerNow();
  const [form] = Form.useForm<BidForm>();

  const [round, setRound] = useState<Round | null>(null);
  const [lots, setLots] = useState<Lot[]>([]);
  const [receipts, setReceipts] = useState<Receipt[]>([]);
  const [results, setResults] = useState<Results | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [offers, setOffers] = useState<Record<string, Item[]>>({});
  const [details, setDetails] = useState<Record<string, ItemDetail | null>>({});
  const [submitting, setSubmitting] = useState(false);
  const [verified, setVerified] = useState<Record<string, boolean | 'busy'>>({});
  const receiptKey = useRef<string[] | null>(null);
  const idempotency = useRef<{ key: string; body: string } | null>(null);

  const lotId = Form.useWatch('lot_id', form);
  const productCode = Form.useWatch('product_code', form);
  const unitPrice = Form.useWatch('unit_price', form);

  const loadReceipts = useCallback(async () => {
    try {
      setReceipts(await all<Receipt>('/api/v1/rounds/{id}/bids', { id }));
    } catch (e) {
      message.error(describe(t, has, e));
    }
  }, [id, message, t, has]);

  useEffect(() => {
    let alive = true;
    (async () => {
      try {
        const r = await must(api.GET('/api/v1/rounds/{id}', { params: { path: { id } } }));
        const ls = await all<Lot>('/api/v1/rounds/{id}/lots', { id });
        if (!alive) return;
        setRound(r);
        setLots(ls.sort((a, b) => a.number - b.number));
        if (r.status === 'awarded' || r.status === 'completed') {
          must(api.GET('/api/v1/rounds/{id}/results', { params: { path: { id } } }))
            .then((x) => alive && setResults(x))
            .catch(() => undefined);
        }
      } catch (e) {
        if (alive) setLoadError(describe(t, has, e));
      }
    })();
    loadReceipts();
    return () => {
      alive = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [id]);

  const lot = lots.find((l) => l.id === lotId);

  // the lot's representative item and the supplier's own products of its generic
  useEffect(() => {
    if (!lot || !round || offers[lot.id]) return;
    let alive = true;
    (async () => {
      try {
        const items = await all<Item>('/api/v1/catalog/items', {}, { generic_name: lot.generic_name, kind: round.kind });
        const rules = round.rules as { eligibility?: { require_consistency?: boolean } };
        const formRatios = comparisonOf(round.rules).form_ratios;
        const mine = items.filter(
          (i) =>
            i.manufacturer_org_id === me?.org_id &&
            (round.kind !== 'drug' ||
              rules.eligibility?.require_consistency === false ||
              (i.consistency != null && ELIGIBLE_CONSISTENCY.includes(i.consistency))) &&
            (round.kind !== 'drug' ||
              !lot.dosage_form ||
              i.dosage_form === lot.dosage_form ||
              formRatios.some(
                (r) =>
                  (r.form === i.dosage_form && r.representative === lot.dosage_form) ||
                  (r.representative === i.dosage_form && r.form === lot.dosage_form),
              )),
        );
        if (alive) setOffers((o) => ({ ...o, [lot.id]: mine }));
      } catch {
        if (alive) setOffers((o) => ({ ...o, [lot.id]: [] }));
      }
    })();
    return () => {
      alive = false;
    };
  }, [lot, round, me, offers]);

  // catalog details (specification and ceiling history) of the representative and the product
  const needDetail = useCallback(
    (code: string | undefined) => {
      if (!code || code in details) return;
      setDetails((d) => ({ ...d, [code]: null }));
      must(api.GET('/api/v1/catalog/items/{code}', { params: { path: { code } } }))
        .then((item) => setDetails((d) => ({ ...d, [code]: item })))
        .catch(() => undefined);
    },
    [details],
  );
  useEffect(() => needDetail(lot?.representative_code), [lot, needDetail]);
  useEffect(() => {
    if (productCode && productCode.length >= 20) needDetail(productCode.trim());
  }, [productCode, needDetail]);

  const rep = lot ? details[lot.representative_code] : null;
  const product = productCode ? details[productCode.trim()] : null;
  const ceilingsDay = round?.ceilings_date ?? new Date(now + 8 * 3600_000).toISOString().slice(0, 10);
  const itemCeiling = product ? ceilingOn(product.ceiling_history ?? [], ceilingsDay) : null;
  const priceOk = !!unitPrice && PRICE_RE.test(unitPrice.trim()) && Number(unitPrice) > 0;
  const ucp: UcpResult | null =
    priceOk && product && rep ? comparablePrice(unitPrice!.trim(), product, rep, comparisonOf(round?.rules)) : null;

  // the ceiling that applies: the item's own, else the lot's (a UCP)
  const applied: { kind: 'item' | 'lot'; value: string } | null = itemCeiling
    ? { kind: 'item', value: itemCeiling }
    : lot?.ceiling
      ? { kind: 'lot', value: lot.ceiling }
      : null;
  let above: string | null = null;
  if (priceOk && applied) {
    if (applied.kind === 'item' && compareDecimal(unitPrice!.trim(), applied.value) > 0)
      above = t('supplier.bid.aboveItem', { price: unitPrice!.trim(), ceiling: applied.value });
    if (applied.kind === 'lot' && ucp?.ok && compareDecimal(ucp.ucp, applied.value) > 0)
      above = t('supplier.bid.aboveLot', { ucp: ucp.ucp, ceiling: applied.value });
  }

  const deadlinePassed = round ? Date.parse(round.bidding_deadline) <= now : false;
  const open = round?.status === 'bidding_open' && !deadlinePassed;
  const lotOf = (lid: string) => lots.find((l) => l.id === lid);
  const lotLabel = (l: Lot | undefined) => (l ? t('supplier.bid.lotOption', { n: l.number, name: l.generic_name }) : '—');
  const liveOnLot = lotId ? receipts.find((r) => r.lot_id === lotId && r.status === 'live') : undefined;
  const lotOffers = lot ? offers[lot.id] : undefined;

  async function submit(v: BidForm) {
    if (above || !round) return;
    const body = {
      lot_id: v.lot_id!,
      product_code: v.product_code!.trim(),
      unit_price: v.unit_price!.trim(),
      annual_capacity: Number(v.annual_capacity),
      province_preferences: v.province_preferences ?? [],
    };
    const fingerprint = JSON.stringify(body);
    // the same values retried keep their key: the server answers the first receipt
    if (!idempotency.current || idempotency.current.body !== fingerprint)
      idempotency.current = { key: crypto.randomUUID(), body: fingerprint };
    setSubmitting(true);
    try {
      const before = new Set(receipts.map((r) => r.bid_id));
      const receipt = await sendJson<Receipt>('POST', '/api/v1/rounds/{id}/bids', { id }, body, {
        'Idempotency-Key': idempotency.current.key,
      });
      idempotency.current = null;
      message.success(before.has(receipt.bid_id) ? t('supplier.bid.retried') : t('supplier.bid.submitted'));
      await loadReceipts();
    } catch (e) {
      const left = applyFieldErrors(form, e);
      const p = problemOf(e);
      if (p.code === 'idempotency_key_reused') idempotency.current = null;
      if (left.length || !p.errors?.length) message.error(explain(t, has, e));
    } finally {
      setSubmitting(false);
    }
  }

  async function withdraw(r: Receipt) {
    try {
      await sendJson<Receipt>('DELETE', '/api/v1/rounds/{id}/bids/{bid_id}', { id, bid_id: r.bid_id });
      message.success(t('supplier.bid.withdrawn'));
      await loadReceipts();
    } catch (e) {
      message.error(explain(t, has, e));
    }
  }

  async function verify(r: Receipt) {
    setVerified((v) => ({ ...v, [r.bid_id]: 'busy' }));
    try {
      // the published keys: the current one and those it replaced (receipts from before a
      // rotation); fetched again when a receipt names a key not seen yet (a rotation since)
      if (!receiptKey.current || !receiptKey.current.includes(r.public_key)) {
        const k = await must(api.GET('/api/receipt-key'));
        receiptKey.current = [k.public_key, ...k.previous_keys];
      }
      const ok =
        receiptKey.current.includes(r.public_key) && (await verifyReceipt(r.public_key, r.message, r.signature));
      setVerified((v) => ({ ...v, [r.bid_id]: ok }));
    } catch (e) {
      setVerified((v) => {
        const { [r.bid_id]: _, ...rest } = v;
        return rest;
      });
      message.error(describe(t, has, e));
    }
  }

  // what each own bid came to, once awarded
  const outcomes = useMemo(() => {
    if (!results || !me) return [];
    return receipts
      .filter((r) => r.status === 'live' || r.status === 'invalidated')
      .map((r) => {
        const lr = results.lots.find((l) => l.lot_id === r.lot_id);
        const win = lr?.winners.find((w) => w.supplier_org_id === me.org_id);
        return { receipt: r, lot: lr, win };
      });
  }, [results, receipts, me]);

  if (loadError) return <PageContainer title={t('supplier.bid.title')}><Alert type="error" showIcon message={loadError} /></PageContainer>;
  if (!round) return <Loading />;

  const statusText: Record<string, string> = {
    live: t('supplier.bid.status.live'),
    replaced: t('supplier.bid.status.replaced'),
    withdrawn: t('supplier.bid.status.withdrawn'),
    invalidated: t('supplier.bid.status.invalidated'),
  };
  const statusColor: Record<string, string> = { live: 'green', replaced: 'default', withdrawn: 'orange', invalidated: 'red' };

  return (
    <PageContainer
      title={round.name}
      subTitle={<RoundStatus status={round.status} />}
      content={
        <Space wrap size="large" align="start">
          {round.status === 'bidding_open' && <Countdown deadline={round.bidding_deadline} title={t('supplier.bid.timeLeft')} />}
          <Descriptions size="small" column={{ xs: 1, sm: 2 }}>
            <Descriptions.Item label={t('round.deadline')}>{cst(round.bidding_deadline)}</Descriptions.Item>
            <Descriptions.Item label={t('supplier.bid.ceilingsDate')}>{round.ceilings_date ?? '—'}</Descriptions.Item>
          </Descriptions>
        </Space>
      }
    >
      <Space direction="vertical" size="middle" style={{ width: '100%' }}>
        {!open && (
          <Alert
            type="info"
            showIcon
            message={
              round.status === 'bidding_open' && deadlinePassed
                ? t('supplier.bid.deadlinePassed')
                : t('supplier.bid.closed', { status: t(`round.status.${round.status}`) })
            }
          />
        )}
        {open && (
          <Row gutter={[16, 16]}>
            <Col xs={24} xl={14}>
              <Card title={t('supplier.bid.form')}>
                <Form<BidForm>
                  form={form}
                  layout="vertical"
                  onFinish={submit}
                  onValuesChange={(changed) => {
                    if ('lot_id' in changed) form.setFieldsValue({ product_code: undefined });
                  }}
                >
                  <Form.Item name="lot_id" label={t('supplier.bid.lot')} rules={[{ required: true, message: t('supplier.required') }]}>
                    <FormSelect
                      data-testid="bid-lot"
                      placeholder={t('supplier.bid.lotPick')}
                      options={lots.map((l) => ({
                        value: l.id,
                        label: `${lotLabel(l)}${l.dosage_form ? ` · ${formName(t, has, l.dosage_form)}` : ''}`,
                      }))}
                    />
                  </Form.Item>
                  <Form.Item
                    name="product_code"
                    label={t('supplier.bid.product')}
                    extra={lot && lotOffers && lotOffers.length === 0 ? t('supplier.bid.noProducts') : t('supplier.bid.productHint')}
                    rules={[{ required: true, message: t('supplier.required') }, { max: 64 }]}
                  >
                    {lot && lotOffers && lotOffers.length === 0 ? (
                      <Input data-testid="bid-product" autoComplete="off" placeholder="XC10AAA001A002010100101" />
                    ) : (
                      <FormSelect
                        data-testid="bid-product"
                        showSearch
                        optionFilterProp="label"
                        disabled={!lot}
                        loading={!!lot && !lotOffers}
                        placeholder={t('supplier.bid.productPick')}
                        options={(lotOffers ?? []).map((i) => ({
                          value: i.code,
                          label: `${i.code} · ${specText(t, has, i)}`,
                        }))}
                      />
                    )}
                  </Form.Item>
                  <Row gutter={16}>
                    <Col xs={24} sm={12}>
                      <Form.Item
                        name="unit_price"
                        label={t('supplier.bid.price')}
                        validateStatus={above ? 'error' : undefined}
                        rules={[
                          { required: true, message: t('supplier.required') },
                          {
                            validator: (_, v: string | undefined) =>
                              !v || (PRICE_RE.test(v.trim()) && Number(v) > 0)
                                ? Promise.resolve()
                                : Promise.reject(new Error(t('supplier.bid.priceInvalid'))),
                          },
                        ]}
                      >
                        <Input data-testid="bid-price" inputMode="decimal" autoComplete="off" placeholder="0.0000" suffix={t('supplier.bid.yuan')} />
                      </Form.Item>
                    </Col>
                    <Col xs={24} sm={12}>
                      <Form.Item
                        name="annual_capacity"
                        label={t('supplier.bid.capacity')}
                        rules={[{ required: true, message: t('supplier.required') }]}
                      >
                        <InputNumber<number>
                          data-testid="bid-capacity"
                          min={1}
                          max={1_000_000_000_000}
                          precision={0}
                          style={{ width: '100%' }}
                        />
                      </Form.Item>
                    </Col>
                  </Row>
                  {above && (
                    <Alert type="error" showIcon data-testid="bid-above-ceiling" message={above} style={{ marginBottom: 16 }} />
                  )}
                  <Form.Item name="province_preferences" label={t('supplier.bid.provinces')} extra={t('supplier.bid.provincesHint')}>
                    <Select
                      mode="multiple"
                      allowClear
                      maxCount={31}
                      optionFilterProp="label"
                      placeholder={t('supplier.bid.provincesPick')}
                      options={provinces.map((p) => ({ value: p.code, label: lang === 'zh' ? p.name_zh : p.name_en }))}
                    />
                  </Form.Item>
                  {liveOnLot && <Alert type="warning" showIcon message={t('supplier.bid.replaceNote')} style={{ marginBottom: 16 }} />}
                  <Button type="primary" htmlType="submit" loading={submitting} disabled={!!above} data-testid="bid-submit">
                    {liveOnLot ? t('supplier.bid.replace') : t('supplier.bid.submit')}
                  </Button>
                  <Typography.Paragraph type="secondary" style={{ marginTop: 12, marginBottom: 0 }}>
                    {t('supplier.bid.sealed')}
                  </Typography.Paragraph>
                </Form>
              </Card>
            </Col>
            <Col xs={24} xl={10}>
              <Card title={t('supplier.bid.preview')}>
                {!lot ? (
                  <Typography.Text type="secondary">{t('supplier.bid.lotPick')}</Typography.Text>
                ) : (
                  <Descriptions column={1} size="small" bordered>
                    <Descriptions.Item label={t('supplier.bid.representative')}>
                      <Space direction="vertical" size={0}>
                        <Typography.Text copyable style={{ wordBreak: 'break-all' }}>
                          {lot.representative_code}
                        </Typography.Text>
                        {rep && <Typography.Text type="secondary">{specText(t, has, rep)}</Typography.Text>}
                      </Space>
                    </Descriptions.Item>
                    <Descriptions.Item label={t('supplier.bid.ceilingLot')}>{lot.ceiling ?? t('common.none')}</Descriptions.Item>
                    {product && (
                      <Descriptions.Item label={t('supplier.bid.productSpec')}>{specText(t, has, product)}</Descriptions.Item>
                    )}
                    <Descriptions.Item label={t('supplier.bid.ceiling')}>
                      <span data-testid="bid-ceiling">
                        {applied ? (
                          <>
                            <Typography.Text strong>{applied.value}</Typography.Text>{' '}
                            <Typography.Text type="secondary">
                              {applied.kind === 'item' ? t('supplier.bid.ceilingItemNote') : t('supplier.bid.ceilingLotNote')}
                            </Typography.Text>
                          </>
                        ) : (
                          t('common.none')
                        )}
                      </span>
                    </Descriptions.Item>
                    <Descriptions.Item label={t('supplier.bid.ucp')}>
                      <span data-testid="bid-ucp">
                        {ucp ? (
                          ucp.ok ? (
                            <Typography.Text strong>{ucp.ucp}</Typography.Text>
                          ) : (
                            <Typography.Text type="danger">{t(`supplier.bid.notComparable.${ucp.why}`)}</Typography.Text>
                          )
                        ) : (
                          '—'
                        )}
                      </span>
                      <div>
                        <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                          {ucp?.ok ? t('supplier.bid.ucpK', { k: ucp.k.toPrecision(6) }) + ' ' : ''}
                          {t('supplier.bid.ucpHint')}
                        </Typography.Text>
                      </div>
                    </Descriptions.Item>
                    {lot.previous_price && (
                      <Descriptions.Item label={t('supplier.bid.previous')}>{lot.previous_price}</Descriptions.Item>
                    )}
                  </Descriptions>
                )}
              </Card>
            </Col>
          </Row>
        )}

        <Card title={t('supplier.bid.receipts')} extra={<Button onClick={loadReceipts}>{t('common.refresh')}</Button>}>
          <Table<Receipt>
            rowKey="bid_id"
            dataSource={receipts}
            scroll={{ x: 'max-content' }}
            pagination={{ pageSize: 10, hideOnSinglePage: true }}
            locale={{ emptyText: <Empty description={t('supplier.bid.noBids')} /> }}
            columns={[
              { title: t('supplier.bid.lot'), key: 'lot', render: (_, r) => lotLabel(lotOf(r.lot_id)) },
              { title: t('supplier.bid.submittedAt'), key: 'at', render: (_, r) => cst(r.submitted_at) },
              {
                title: t('common.status'),
                key: 'status',
                render: (_, r) => <Tag color={statusColor[r.status]}>{statusText[r.status] ?? r.status}</Tag>,
              },
              {
                title: t('supplier.bid.bidId'),
                key: 'id',
                render: (_, r) => (
                  <Typography.Text copyable={{ text: r.bid_id }} style={{ fontFamily: 'monospace' }}>
                    {r.bid_id.slice(0, 8)}…
                  </Typography.Text>
                ),
              },
              {
                title: t('supplier.bid.commitment'),
                key: 'commitment',
                render: (_, r) => (
                  <Typography.Text copyable={{ text: r.commitment }} style={{ fontFamily: 'monospace' }}>
                    {r.commitment.slice(0, 12)}…
                  </Typography.Text>
                ),
              },
              {
                title: t('supplier.bid.signature'),
                key: 'verify',
                render: (_, r) => {
                  const v = verified[r.bid_id];
                  return (
                    <Space wrap>
                      <Button
                        size="small"
                        icon={<SafetyCertificateOutlined />}
                        loading={v === 'busy'}
                        onClick={() => verify(r)}
                        data-testid={`verify-${r.bid_id}`}
                      >
                        {t('supplier.bid.verify')}
                      </Button>
                      {(v === true || v === false) && (
                        <Tag
                          color={v ? 'success' : 'error'}
                          icon={v ? <CheckCircleOutlined /> : <CloseCircleOutlined />}
                          data-testid={`verify-result-${r.bid_id}`}
                          data-verified={v ? 'true' : 'false'}
                          role="status"
                        >
                          {v ? t('supplier.bid.verifyOk') : t('supplier.bid.verifyBad')}
                        </Tag>
                      )}
                    </Space>
                  );
                },
              },
              {
                title: t('common.actions'),
                key: 'actions',
                render: (_, r) =>
                  open && r.status === 'live' ? (
                    <Popconfirm
                      title={t('supplier.bid.withdrawConfirm')}
                      okText={t('common.confirm')}
                      cancelText={t('common.cancel')}
                      onConfirm={() => withdraw(r)}
                    >
                      <Button size="small" danger data-testid={`withdraw-${r.bid_id}`}>
                        {t('supplier.bid.withdraw')}
                      </Button>
                    </Popconfirm>
                  ) : null,
              },
            ]}
          />
        </Card>

        {(round.status === 'awarded' || round.status === 'completed') && (
          <Card title={t('supplier.bid.results')}>
            {!results ? (
              <Loading />
            ) : (
              <Table
                rowKey={(o) => o.receipt.bid_id}
                dataSource={outcomes}
                scroll={{ x: 'max-content' }}
                pagination={false}
                locale={{ emptyText: <Empty description={t('supplier.bid.noBids')} /> }}
                columns={[
                  { title: t('supplier.bid.lot'), key: 'lot', render: (_, o) => lotLabel(lotOf(o.receipt.lot_id)) },
                  {
                    title: t('supplier.bid.outcome'),
                    key: 'outcome',
                    render: (_, o) =>
                      o.receipt.status === 'invalidated' ? (
                        <Tag color="red">{t('supplier.bid.status.invalidated')}</Tag>
                      ) : o.win ? (
                        <Tag color="green" data-testid={`outcome-${o.receipt.lot_id}`}>
                          {t('supplier.bid.won', { rank: o.win.rank })}
                        </Tag>
                      ) : o.lot?.status === 'unsuccessful' ? (
                        <Tag color="orange">{t('supplier.bid.lotFailed')}</Tag>
                      ) : (
                        <Tag>{t('supplier.bid.lost')}</Tag>
                      ),
                  },
                  { title: t('supplier.bid.awardedPrice'), key: 'price', render: (_, o) => o.win?.unit_price ?? '—' },
                  { title: t('supplier.bid.ucpShort'), key: 'ucp', render: (_, o) => o.win?.ucp ?? '—' },
                  {
                    title: t('supplier.bid.reason'),
                    key: 'reason',
                    render: (_, o) =>
                      o.receipt.status === 'invalidated'
                        ? t('supplier.bid.invalidatedReason')
                        : o.win
                          ? winReason(t, o.win.reason)
                          : o.lot?.status === 'unsuccessful'
                            ? t('supplier.bid.lotFailedReason', { valid: o.lot.valid_bidders })
                            : t('supplier.bid.lostReason', { n: o.lot?.winners.length ?? 0, valid: o.lot?.valid_bidders ?? 0 }),
                  },
                  {
                    title: t('supplier.bid.regions'),
                    key: 'regions',
                    render: (_, o) => {
                      const allocations = o.lot?.allocations ?? [];
                      const name = (p: string) => provinceName(provinces, p, lang);
                      const primary = allocations.filter((a) => a.supplier_org_id === me?.org_id).map((a) => name(a.province));
                      const backup = allocations.filter((a) => a.backup?.supplier_org_id === me?.org_id).map((a) => name(a.province));
                      if (!primary.length && !backup.length) return '—';
                      return (
                        <Space direction="vertical" size={0}>
                          {primary.length > 0 && <span>{t('supplier.bid.primary', { list: primary.join(lang === 'zh' ? '、' : ', ') })}</span>}
                          {backup.length > 0 && <span>{t('supplier.bid.backup', { list: backup.join(lang === 'zh' ? '、' : ', ') })}</span>}
                        </Space>
                      );
                    },
                  },
                ]}
              />
            )}
          </Card>
        )}
      </Space>
    </PageContainer>
  );
}
