// Building a round, step by step: its terms (a draft), its lots from the catalog, demand
// collection, publication. `?round=<id>` carries on with a draft or a round collecting demand.
import { PageContainer } from '@ant-design/pro-components';
import {
  Alert,
  App,
  Button,
  Card,
  Checkbox,
  Col,
  DatePicker,
  Descriptions,
  Form,
  Input,
  InputNumber,
  Popconfirm,
  Radio,
  Row,
  Select,
  Space,
  Steps,
  Table,
  Typography,
} from 'antd';
import type { ButtonProps } from 'antd';
import dayjs, { type Dayjs } from 'dayjs';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { api, getJson, must, type Page, type Schemas } from '../../api/client';
import { applyFieldErrors } from '../../api/problem';
import { useAuth } from '../../auth';
import { useI18n } from '../../i18n';
import Loading from '../../components/Loading';
import { cst, money } from '../../components/format';
import { RoundStatus } from '../../components/RoundStatus';
import { useSay, word } from './shared';

type Round = Schemas['RoundDto'];
type Lot = Schemas['LotDto'];
type Item = Schemas['ItemDto'];
type Officer = Pick<Schemas['OfficerDto'], 'id' | 'display_name' | 'email'> & { active?: boolean };

const PRESETS = ['batch10', 'batch11', 'batch7', 'pilot'] as const;

interface TermsForm {
  name: string;
  kind: 'drug' | 'consumable';
  preset: string;
  min_bidders?: number | null;
  bidding_deadline: Dayjs;
  key_mode: 'threshold' | 'master';
  custodians: string[];
  quorum?: number | null;
}

/** The picker's wall-clock time read as Beijing time (UTC+8), as the platform's dates are. */
function beijingIso(d: Dayjs): string {
  return `${d.format('YYYY-MM-DDTHH:mm')}:00+08:00`;
}

function TermsStep({ onCreated }: { onCreated: (r: Round) => void }) {
  const { t } = useI18n();
  const { me } = useAuth();
  const { message } = App.useApp();
  const say = useSay();
  const [form] = Form.useForm<TermsForm>();
  const [busy, setBusy] = useState(false);
  const [officers, setOfficers] = useState<Officer[]>([]);
  const keyMode = Form.useWatch('key_mode', form);
  const custodians = Form.useWatch('custodians', form) ?? [];

  // the active procurement officers: who may hold a share of the opening key
  useEffect(() => {
    getJson<Page<Officer>>('/api/v1/officers', { per_page: 200 })
      .then((p) => setOfficers(p.items.filter((o) => o.active)))
      .catch(() => setOfficers([]));
  }, []);
  const options = useMemo(() => {
    const list = officers.length > 0 ? officers : me ? [{ id: me.id, display_name: me.display_name, email: me.email }] : [];
    return list.map((o) => ({
      value: o.id,
      label: o.id === me?.id ? t('officer.builder.me', { name: me.display_name }) : `${o.display_name} <${o.email}>`,
    }));
  }, [officers, me, t]);

  const submit = async (v: TermsForm) => {
    setBusy(true);
    try {
      const round = await must(
        api.POST('/api/v1/rounds', {
          body: {
            name: v.name.trim(),
            kind: v.kind,
            preset: v.preset,
            min_bidders: v.min_bidders ?? null,
            bidding_deadline: beijingIso(v.bidding_deadline),
            key_mode: v.key_mode,
            custodians: v.key_mode === 'threshold' ? v.custodians : [],
            quorum: v.key_mode === 'threshold' ? v.quorum ?? 1 : 1,
          },
        }),
      );
      message.success(t('officer.builder.created'));
      onCreated(round);
    } catch (e) {
      const left = applyFieldErrors(form, e);
      message.error(left.length ? `${say(e)} ${left.map((l) => `${l.field}: ${l.message}`).join('; ')}` : say(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Form<TermsForm>
      form={form}
      layout="vertical"
      onFinish={submit}
      style={{ maxWidth: 720 }}
      initialValues={{
        kind: 'drug',
        preset: 'batch10',
        key_mode: 'threshold',
        custodians: me ? [me.id] : [],
        quorum: 1,
        bidding_deadline: dayjs().add(14, 'day').hour(17).minute(0).second(0),
      }}
      data-testid="round-terms"
    >
      <Form.Item name="name" label={t('officer.builder.name')} rules={[{ required: true, whitespace: true, max: 200, message: t('officer.builder.nameRule') }]}>
        <Input placeholder={t('officer.builder.namePlaceholder')} maxLength={200} data-testid="round-name" />
      </Form.Item>
      <Row gutter={16}>
        <Col xs={24} sm={12}>
          <Form.Item name="kind" label={t('officer.builder.kind')}>
            <Radio.Group>
              <Radio value="drug">{t('round.kind.drug')}</Radio>
              <Radio value="consumable">{t('round.kind.consumable')}</Radio>
            </Radio.Group>
          </Form.Item>
        </Col>
        <Col xs={24} sm={12}>
          <Form.Item name="preset" label={t('officer.builder.preset')} extra={t('officer.builder.presetHint')}>
            <Select options={PRESETS.map((p) => ({ value: p, label: t(`officer.preset.${p}`) }))} data-testid="round-preset" />
          </Form.Item>
        </Col>
      </Row>
      <Row gutter={16}>
        <Col xs={24} sm={12}>
          <Form.Item
            name="bidding_deadline"
            label={t('officer.builder.deadline')}
            rules={[{ required: true, message: t('officer.builder.deadlineRule') }]}
            extra={t('officer.builder.deadlineHint')}
          >
            <DatePicker
              showTime={{ format: 'HH:mm' }}
              format="YYYY-MM-DD HH:mm"
              style={{ width: '100%' }}
              disabledDate={(d) => d.isBefore(dayjs().startOf('day'))}
            />
          </Form.Item>
        </Col>
        <Col xs={24} sm={12}>
          <Form.Item name="min_bidders" label={t('officer.builder.minBidders')} extra={t('officer.builder.minBiddersHint')}>
            <InputNumber min={1} max={100} precision={0} style={{ width: '100%' }} />
          </Form.Item>
        </Col>
      </Row>
      <Form.Item name="key_mode" label={t('officer.builder.keyMode')} extra={t(`officer.builder.keyModeHint.${keyMode ?? 'threshold'}`)}>
        <Radio.Group>
          <Radio value="threshold">{t('officer.keyMode.threshold')}</Radio>
          <Radio value="master">{t('officer.keyMode.master')}</Radio>
        </Radio.Group>
      </Form.Item>
      {keyMode !== 'master' && (
        <Row gutter={16}>
          <Col xs={24} sm={16}>
            <Form.Item
              name="custodians"
              label={t('officer.builder.custodians')}
              extra={t('officer.builder.custodiansHint')}
              rules={[
                {
                  // a validator, not `required`: antd would put aria-required on the select's wrapper
                  validator: (_, v: string[] | undefined) =>
                    v && v.length > 0 ? Promise.resolve() : Promise.reject(new Error(t('officer.builder.custodiansRule'))),
                },
              ]}
            >
              <Select mode="multiple" options={options} optionFilterProp="label" data-testid="round-custodians" />
            </Form.Item>
          </Col>
          <Col xs={24} sm={8}>
            <Form.Item
              name="quorum"
              label={t('officer.builder.quorum')}
              extra={t('officer.builder.quorumHint', { n: custodians.length })}
              rules={[
                { required: true, message: t('officer.builder.quorumRule', { n: custodians.length }) },
                {
                  validator: (_, v: number | null) =>
                    v == null || (v >= 1 && v <= Math.max(1, custodians.length))
                      ? Promise.resolve()
                      : Promise.reject(new Error(t('officer.builder.quorumRule', { n: custodians.length }))),
                },
              ]}
            >
              <InputNumber min={1} max={Math.max(1, custodians.length)} precision={0} style={{ width: '100%' }} />
            </Form.Item>
          </Col>
        </Row>
      )}
      <Button type="primary" htmlType="submit" loading={busy} data-testid="round-create">
        {t('officer.builder.create')}
      </Button>
    </Form>
  );
}

interface LotForm {
  representative_code?: string;
  previous_price?: string;
  special_antibacterial?: boolean;
}

function LotsStep({ round, lots, reload }: { round: Round; lots: Lot[]; reload: () => void }) {
  const { t, has } = useI18n();
  const { message } = App.useApp();
  const say = useSay();
  const [form] = Form.useForm<LotForm>();
  const [found, setFound] = useState<Item[]>([]);
  const [searching, setSearching] = useState(false);
  const [busy, setBusy] = useState(false);
  const timer = useRef<ReturnType<typeof setTimeout>>(undefined);
  const seq = useRef(0);

  const search = (q: string) => {
    clearTimeout(timer.current);
    const text = q.trim();
    if (!text) return;
    timer.current = setTimeout(async () => {
      const mine = ++seq.current;
      setSearching(true);
      // a code prefix (letters and digits from X/Z/C) or part of the generic name
      const byCode = /^[XZC][A-Z0-9]{2,}$/i.test(text);
      try {
        const page = await getJson<Page<Item>>('/api/v1/catalog/items', {
          ...(byCode ? { code: text.toUpperCase() } : { q: text }),
          kind: round.kind,
          per_page: 30,
        });
        if (mine === seq.current) setFound(page.items);
      } catch (e) {
        if (mine === seq.current) message.error(say(e));
      } finally {
        if (mine === seq.current) setSearching(false);
      }
    }, 300);
  };
  useEffect(() => () => clearTimeout(timer.current), []);

  const add = async (v: LotForm) => {
    if (!v.representative_code) return;
    setBusy(true);
    try {
      const lot = await must(
        api.POST('/api/v1/rounds/{id}/lots', {
          params: { path: { id: round.id } },
          body: {
            representative_code: v.representative_code,
            previous_price: v.previous_price?.trim() ? v.previous_price.trim() : null,
            special_antibacterial: !!v.special_antibacterial,
          },
        }),
      );
      message.success(t('officer.builder.lotAdded', { n: lot.number, name: lot.generic_name }));
      form.resetFields();
      setFound([]);
      reload();
    } catch (e) {
      applyFieldErrors(form, e);
      message.error(say(e));
    } finally {
      setBusy(false);
    }
  };

  const editable = round.status === 'draft' || round.status === 'demand_collection';
  return (
    <Space direction="vertical" size="large" style={{ width: '100%' }}>
      {editable ? (
        <Card size="small" title={t('officer.builder.addLot')}>
          <Form form={form} layout="vertical" onFinish={add}>
            <Form.Item
              name="representative_code"
              label={t('officer.builder.representative')}
              extra={t('officer.builder.representativeHint')}
              rules={[{ validator: (_, v?: string) => (v ? Promise.resolve() : Promise.reject(new Error(t('officer.builder.representativeRule')))) }]}
            >
              <Select
                showSearch
                allowClear
                filterOption={false}
                onSearch={search}
                loading={searching}
                placeholder={t('officer.builder.searchCatalog')}
                notFoundContent={searching ? t('common.loading') : t('officer.builder.nothingFound')}
                data-testid="lot-picker"
                options={found.map((i) => ({
                  value: i.code,
                  label: `${i.generic_name} · ${[i.strength && `${i.strength}${i.strength_unit ?? ''}`, word(t, has, 'form', i.dosage_form)].filter(Boolean).join(' ')} · ${i.manufacturer} · ${i.code}${i.ceiling ? ` · ${t('officer.builder.ceilingShort', { price: money(i.ceiling.price) })}` : ''}`,
                }))}
              />
            </Form.Item>
            <Row gutter={16}>
              <Col xs={24} sm={12}>
                <Form.Item
                  name="previous_price"
                  label={t('officer.builder.previousPrice')}
                  extra={t('officer.builder.previousPriceHint')}
                  rules={[{ pattern: /^\d{1,8}(\.\d{1,4})?$/, message: t('officer.builder.priceRule') }]}
                >
                  <Input inputMode="decimal" placeholder="1.2000" />
                </Form.Item>
              </Col>
              <Col xs={24} sm={12}>
                <Form.Item name="special_antibacterial" valuePropName="checked" label={t('officer.builder.special')}>
                  <Checkbox>{t('officer.builder.specialHint')}</Checkbox>
                </Form.Item>
              </Col>
            </Row>
            <Button type="primary" htmlType="submit" loading={busy} data-testid="lot-add">
              {t('officer.builder.addLotButton')}
            </Button>
          </Form>
        </Card>
      ) : (
        <Alert type="info" showIcon message={t('officer.builder.lotsFrozen')} />
      )}
      <LotTable lots={lots} />
    </Space>
  );
}

/** The deadline, changeable until publication (a deadline in the past cannot be published). */
function DeadlineEditor({ round, onChanged }: { round: Round; onChanged: (r: Round) => void }) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const say = useSay();
  const [editing, setEditing] = useState(false);
  const [value, setValue] = useState<Dayjs | null>(null);
  const [busy, setBusy] = useState(false);
  if (!editing) {
    return (
      <Space wrap>
        <span>{cst(round.bidding_deadline)}</span>
        <Button
          size="small"
          onClick={() => {
            setValue(dayjs(cst(round.bidding_deadline)));
            setEditing(true);
          }}
          data-testid="deadline-edit"
        >
          {t('officer.builder.changeDeadline')}
        </Button>
      </Space>
    );
  }
  const save = async () => {
    if (!value) return;
    setBusy(true);
    try {
      const r = await must(
        api.PATCH('/api/v1/rounds/{id}', { params: { path: { id: round.id } }, body: { bidding_deadline: beijingIso(value) } }),
      );
      onChanged(r);
      setEditing(false);
      message.success(t('officer.builder.deadlineChanged'));
    } catch (e) {
      message.error(say(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Space wrap>
      <DatePicker
        showTime={{ format: 'HH:mm' }}
        format="YYYY-MM-DD HH:mm"
        value={value}
        onChange={setValue}
        aria-label={t('officer.builder.deadline')}
        disabledDate={(d) => d.isBefore(dayjs().startOf('day'))}
      />
      <Button type="primary" size="small" loading={busy} disabled={!value} onClick={save}>
        {t('common.save')}
      </Button>
      <Button size="small" onClick={() => setEditing(false)}>
        {t('common.cancel')}
      </Button>
    </Space>
  );
}

export function LotTable({ lots, testid = 'lots' }: { lots: Lot[]; testid?: string }) {
  const { t, has } = useI18n();
  return (
    <Table<Lot>
      size="small"
      rowKey="id"
      data-testid={testid}
      dataSource={lots}
      pagination={lots.length > 20 ? { pageSize: 20 } : false}
      scroll={{ x: 'max-content' }}
      locale={{ emptyText: t('officer.lots.none') }}
      columns={[
        { title: t('officer.lots.number'), dataIndex: 'number', width: 70 },
        { title: t('officer.lots.generic'), dataIndex: 'generic_name' },
        { title: t('officer.catalog.dosageForm'), dataIndex: 'dosage_form', render: (v?: string | null) => word(t, has, 'form', v) },
        { title: t('officer.lots.representative'), dataIndex: 'representative_code' },
        {
          title: t('officer.lots.ceiling'),
          dataIndex: 'ceiling',
          align: 'right',
          render: (v?: string | null) => (v ? money(v) : <Typography.Text type="secondary">{t('officer.lots.ceilingAtPublish')}</Typography.Text>),
        },
        { title: t('officer.lots.previous'), dataIndex: 'previous_price', align: 'right', render: (v?: string | null) => money(v) },
        { title: t('officer.lots.special'), dataIndex: 'special_antibacterial', render: (v: boolean) => (v ? t('common.yes') : t('common.no')) },
      ]}
    />
  );
}

export default function RoundBuilder() {
  const { t } = useI18n();
  const { message } = App.useApp();
  const say = useSay();
  const navigate = useNavigate();
  const [params, setParams] = useSearchParams();
  const roundId = params.get('round');
  const [round, setRound] = useState<Round | null>(null);
  const [lots, setLots] = useState<Lot[]>([]);
  const [loading, setLoading] = useState(!!roundId);
  const [error, setError] = useState<string | null>(null);
  const [step, setStep] = useState(0);
  const [busy, setBusy] = useState(false);
  const [reported, setReported] = useState<number | null>(null);

  const loadLots = useCallback(async (id: string) => {
    const page = await must(api.GET('/api/v1/rounds/{id}/lots', { params: { path: { id }, query: { per_page: 200 } } }));
    setLots(page.items);
  }, []);

  useEffect(() => {
    if (!roundId) {
      setRound(null);
      setLots([]);
      setStep(0);
      setLoading(false);
      return;
    }
    if (round?.id === roundId) return;
    let alive = true;
    setLoading(true);
    Promise.all([must(api.GET('/api/v1/rounds/{id}', { params: { path: { id: roundId } } })), loadLots(roundId)])
      .then(([r]) => {
        if (!alive) return;
        setRound(r);
        setStep(r.status === 'draft' ? 1 : 3);
      })
      .catch((e) => alive && setError(say(e)))
      .finally(() => alive && setLoading(false));
    return () => {
      alive = false;
    };
  }, [roundId, round?.id, loadLots, say]);

  // how many provinces have reported demand, before publishing freezes it
  const roundIdLoaded = round?.id;
  const roundStatus = round?.status;
  useEffect(() => {
    if (!roundIdLoaded || step !== 3 || roundStatus !== 'demand_collection') {
      setReported(null);
      return;
    }
    let alive = true;
    must(api.GET('/api/v1/rounds/{id}/demand', { params: { path: { id: roundIdLoaded } } }))
      .then((d) => alive && setReported(new Set(d.rows.map((r) => r.province)).size))
      .catch(() => alive && setReported(null));
    return () => {
      alive = false;
    };
  }, [roundIdLoaded, roundStatus, step]);

  const created = (r: Round) => {
    setRound(r);
    setLots([]);
    setStep(1);
    setParams({ round: r.id }, { replace: true });
  };

  const startDemand = async () => {
    if (!round) return;
    setBusy(true);
    try {
      const r = await must(api.POST('/api/v1/rounds/{id}/demand-collection', { params: { path: { id: round.id } } }));
      setRound(r);
      message.success(t('officer.builder.demandStarted'));
      setStep(3);
    } catch (e) {
      message.error(say(e));
    } finally {
      setBusy(false);
    }
  };

  const publish = async () => {
    if (!round) return;
    setBusy(true);
    try {
      const r = await must(api.POST('/api/v1/rounds/{id}/publish', { params: { path: { id: round.id } } }));
      message.success(t('officer.builder.published'));
      navigate(`/rounds/${r.id}/manage`);
    } catch (e) {
      message.error(say(e));
    } finally {
      setBusy(false);
    }
  };

  if (loading) return <Loading />;
  if (error) {
    return (
      <PageContainer title={t('menu.newRound')}>
        <Alert type="error" showIcon message={error} />
      </PageContainer>
    );
  }
  const beyond = round && !['draft', 'demand_collection'].includes(round.status);
  const steps = [
    { title: t('officer.builder.step.terms') },
    { title: t('officer.builder.step.lots') },
    { title: t('officer.builder.step.demand') },
    { title: t('officer.builder.step.publish') },
  ];
  return (
    <PageContainer
      title={round ? round.name : t('menu.newRound')}
      extra={round ? [<RoundStatus key="s" status={round.status} />] : undefined}
    >
      <Card>
        <Steps current={step} items={steps} size="small" responsive style={{ marginBottom: 24 }} />
        {beyond && round && (
          <Alert
            type="info"
            showIcon
            message={t('officer.builder.beyond')}
            action={<Link to={`/rounds/${round.id}/manage`}>{t('round.manage')}</Link>}
          />
        )}
        {!beyond && step === 0 && <TermsStep onCreated={created} />}
        {!beyond && round && step === 1 && (
          <Space direction="vertical" size="large" style={{ width: '100%' }}>
            <LotsStep round={round} lots={lots} reload={() => void loadLots(round.id).catch((e) => message.error(say(e)))} />
            <Space wrap>
              <Button type="primary" disabled={lots.length === 0} onClick={() => setStep(round.status === 'draft' ? 2 : 3)} data-testid="step-next">
                {t('officer.builder.next')}
              </Button>
              {lots.length === 0 && <Typography.Text type="secondary">{t('officer.builder.needLots')}</Typography.Text>}
            </Space>
          </Space>
        )}
        {!beyond && round && step === 2 && (
          <Space direction="vertical" size="large" style={{ width: '100%' }}>
            <Typography.Paragraph>{t('officer.builder.demandExplain')}</Typography.Paragraph>
            <Space wrap>
              <Button onClick={() => setStep(1)}>{t('officer.builder.prev')}</Button>
              <Button type="primary" loading={busy} onClick={startDemand} data-testid="start-demand">
                {t('officer.builder.startDemand')}
              </Button>
            </Space>
          </Space>
        )}
        {!beyond && round && step === 3 && (
          <Space direction="vertical" size="large" style={{ width: '100%' }}>
            <Descriptions size="small" bordered column={{ xs: 1, sm: 1, md: 2, lg: 2, xl: 2, xxl: 2 }} styles={{ label: { whiteSpace: 'nowrap' } }}>
              <Descriptions.Item label={t('common.status')}>
                <RoundStatus status={round.status} />
              </Descriptions.Item>
              <Descriptions.Item label={t('officer.builder.kind')}>{t(`round.kind.${round.kind}`)}</Descriptions.Item>
              <Descriptions.Item label={t('officer.builder.preset')}>{t(`officer.preset.${round.preset}`)}</Descriptions.Item>
              <Descriptions.Item label={t('officer.builder.keyMode')}>
                {t(`officer.keyMode.${round.key_mode}`)}
                {round.key_mode === 'threshold' && ` · ${t('officer.manage.quorumOf', { k: round.quorum, n: round.custodians.length })}`}
              </Descriptions.Item>
              <Descriptions.Item label={t('officer.builder.lotCount')}>{lots.length}</Descriptions.Item>
              <Descriptions.Item label={t('officer.builder.demandReported')}>
                {reported === null ? '—' : t('officer.builder.provincesReported', { n: reported })}
              </Descriptions.Item>
              <Descriptions.Item label={t('round.deadline')} span="filled">
                <DeadlineEditor round={round} onChanged={setRound} />
              </Descriptions.Item>
            </Descriptions>
            {round.status === 'demand_collection' && reported === 0 && (
              <Alert type="warning" showIcon message={t('officer.builder.noDemandYet')} />
            )}
            {round.status === 'draft' ? (
              <Alert type="warning" showIcon message={t('officer.builder.demandFirst')} />
            ) : (
              <Alert type="info" showIcon message={t('officer.builder.publishExplain')} />
            )}
            <Space wrap>
              <Button onClick={() => setStep(1)} data-testid="back-to-lots">
                {t('officer.builder.moreLots')}
              </Button>
              {round.status === 'draft' && (
                <Button onClick={() => setStep(2)}>{t('officer.builder.prev')}</Button>
              )}
              <Link to={`/rounds/${round.id}/manage`}>
                <Button>{t('officer.builder.demandOverview')}</Button>
              </Link>
              <Popconfirm
                title={t('officer.builder.publishConfirm')}
                description={t('officer.builder.publishConfirmDetail', { deadline: cst(round.bidding_deadline) })}
                onConfirm={publish}
                okText={t('officer.builder.publish')}
                cancelText={t('common.cancel')}
                okButtonProps={{ 'data-testid': 'publish-confirm' } as ButtonProps}
                disabled={round.status !== 'demand_collection'}
              >
                <Button type="primary" loading={busy} disabled={round.status !== 'demand_collection' || lots.length === 0} data-testid="publish">
                  {t('officer.builder.publish')}
                </Button>
              </Popconfirm>
            </Space>
          </Space>
        )}
      </Card>
    </PageContainer>
  );
}
