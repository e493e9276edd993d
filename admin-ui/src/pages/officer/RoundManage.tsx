// One round as the procurement office runs it (auditors and admins read): its facts, lots
// and demand; while bidding, the live count of bids per lot (never prices) and the time left
// by the server's clock; after the deadline, the opening by the custodians' key shares; then
// the evaluation under review and the award of exactly that evaluation; cancelling with a
// reason before the award.
import { PageContainer } from '@ant-design/pro-components';
import {
  Alert,
  App,
  Button,
  Card,
  Col,
  Collapse,
  DatePicker,
  Descriptions,
  Empty,
  Form,
  Input,
  InputNumber,
  Modal,
  Popconfirm,
  Progress,
  Result,
  Row,
  Space,
  Statistic,
  Table,
  Tag,
  Typography,
} from 'antd';
import type { ButtonProps } from 'antd';
import type { Dayjs } from 'dayjs';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { Link, useParams } from 'react-router';
import { api, must, type Schemas } from '../../api/client';
import { problemOf } from '../../api/problem';
import { useAuth } from '../../auth';
import { useI18n } from '../../i18n';
import Loading from '../../components/Loading';
import Chart, { type ChartOption } from '../../components/Chart';
import Countdown, { setServerNow } from '../../components/Countdown';
import { cst, money, provinceName, useProvinces } from '../../components/format';
import { RoundStatus } from '../../components/RoundStatus';
import { LotTable } from './RoundBuilder';
import { LotStatusTag, WonTag, outcomeText, pickText, unsuccessfulText, units, useSay } from './shared';

type Round = Schemas['RoundDto'];
type Lot = Schemas['LotDto'];
type DemandView = Schemas['DemandView'];
type EvaluationResponse = Schemas['EvaluationResponse'];
type LotEvaluation = Schemas['LotEvaluation'];
type BidEvaluation = Schemas['BidEvaluation'];
type AllocationLine = Schemas['AllocationLine'];

type BidCounts = Schemas['BidCounts'];

const POLL_MS = 5000;

/** The live count of bids per lot and the countdown, refreshed every 5 s. */
function LiveBids({ round, onStatusChange }: { round: Round; onStatusChange: () => void }) {
  const { t } = useI18n();
  const say = useSay();
  const [counts, setCounts] = useState<BidCounts | null>(null);
  const [unavailable, setUnavailable] = useState(false);
  const [warning, setWarning] = useState<string | null>(null);
  const changed = useRef(onStatusChange);
  changed.current = onStatusChange;

  useEffect(() => {
    let alive = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const tick = async () => {
      try {
        const c = await must(api.GET('/api/v1/rounds/{id}/bid-counts', { params: { path: { id: round.id } } }));
        if (!alive) return;
        setServerNow(c.as_of);
        setCounts(c);
        setWarning(null);
        if (c.status !== 'bidding_open') {
          changed.current();
          return;
        }
        if (Date.parse(c.as_of) >= Date.parse(c.bidding_deadline)) changed.current();
      } catch (e) {
        if (!alive) return;
        if (problemOf(e).status === 404) {
          // not there (an older server): the countdown goes by the server's `Date` header
          setUnavailable(true);
          return;
        }
        setWarning(say(e));
      }
      if (alive) timer = setTimeout(tick, POLL_MS);
    };
    void tick();
    return () => {
      alive = false;
      clearTimeout(timer);
    };
  }, [round.id, say]);

  const deadline = counts?.bidding_deadline ?? round.bidding_deadline;
  return (
    <Card title={t('officer.live.title')} data-testid="live-bids">
      <Row gutter={[24, 16]}>
        <Col xs={24} md={8}>
          {(counts || unavailable) && (
            <div data-testid="countdown">
              <Countdown deadline={deadline} title={t('officer.live.countdown')} />
            </div>
          )}
          <Typography.Text type="secondary">
            {t('officer.live.deadline', { at: cst(deadline) })}
          </Typography.Text>
        </Col>
        <Col xs={24} md={8}>
          {counts && (
            <div data-testid="bid-total" data-total={counts.total}>
              <Statistic title={t('officer.live.total')} value={counts.total} />
            </div>
          )}
        </Col>
        <Col xs={24} md={8}>
          {counts && (
            <Typography.Text type="secondary">{t('officer.live.asOf', { at: cst(counts.as_of) })}</Typography.Text>
          )}
        </Col>
      </Row>
      {unavailable && <Alert style={{ marginTop: 16 }} type="info" showIcon message={t('officer.live.unavailable')} />}
      {warning && <Alert style={{ marginTop: 16 }} type="warning" showIcon message={warning} />}
      {!counts && !unavailable && !warning && <Loading />}
      {counts && (
        <Table
          style={{ marginTop: 16 }}
          size="small"
          rowKey="lot_id"
          data-testid="bid-counts"
          dataSource={counts.lots}
          pagination={false}
          scroll={{ x: 'max-content' }}
          columns={[
            { title: t('officer.lots.number'), dataIndex: 'lot_no', width: 70 },
            { title: t('officer.lots.generic'), dataIndex: 'generic_name' },
            { title: t('officer.live.bids'), dataIndex: 'bids', align: 'right', render: (v: number) => <span data-testid="lot-bids">{v}</span> },
          ]}
        />
      )}
      <Typography.Paragraph type="secondary" style={{ marginTop: 12, marginBottom: 0 }}>
        {t('officer.live.sealed')}
      </Typography.Paragraph>
    </Card>
  );
}

/** The opening ceremony: each custodian fetches its share once, keeps it, and presents it. */
function Opening({ round, onOpened }: { round: Round; onOpened: () => void }) {
  const { t } = useI18n();
  const { me } = useAuth();
  const { message } = App.useApp();
  const say = useSay();
  const [share, setShare] = useState<string | null>(null);
  const [input, setInput] = useState('');
  const [fetching, setFetching] = useState(false);
  const [fetchedBefore, setFetchedBefore] = useState(false);
  const [submitting, setSubmitting] = useState(false);
  const [presented, setPresented] = useState(false);
  const [progress, setProgress] = useState<{ presented: number; quorum: number } | null>(null);
  const officer = me?.role === 'procurement_officer';
  const custodian = officer && !!me && round.custodians.includes(me.id);
  const quorum = progress?.quorum ?? round.quorum;

  // a fetched share not yet presented must not be lost to a closed tab
  useEffect(() => {
    if (!share || presented) return;
    const warn = (e: BeforeUnloadEvent) => {
      e.preventDefault();
      e.returnValue = '';
    };
    window.addEventListener('beforeunload', warn);
    return () => window.removeEventListener('beforeunload', warn);
  }, [share, presented]);

  const fetchShare = async () => {
    setFetching(true);
    try {
      const s = await must(api.GET('/api/v1/rounds/{id}/key-shares/mine', { params: { path: { id: round.id } } }));
      setShare(s.share);
      setInput(s.share);
      message.success(t('officer.open.fetched'));
    } catch (e) {
      if (problemOf(e).code === 'share_fetched') setFetchedBefore(true);
      message.error(say(e));
    } finally {
      setFetching(false);
    }
  };

  const present = async (body: { share?: string }) => {
    setSubmitting(true);
    try {
      const s = await must(api.POST('/api/v1/rounds/{id}/open', { params: { path: { id: round.id } }, body }));
      setProgress({ presented: s.presented, quorum: s.quorum });
      setPresented(true);
      if (s.status === 'opened') {
        message.success(t('officer.open.opened', { n: s.bids_revealed ?? 0 }));
        onOpened();
      } else {
        message.success(t('officer.open.recorded', { k: s.presented, n: s.quorum }));
      }
    } catch (e) {
      if (problemOf(e).code === 'share_presented') setPresented(true);
      message.error(say(e));
    } finally {
      setSubmitting(false);
    }
  };

  const saveFile = () => {
    if (!share) return;
    const blob = new Blob([share + '\n'], { type: 'text/plain' });
    const url = URL.createObjectURL(blob);
    const a = document.createElement('a');
    a.href = url;
    a.download = `key-share-${round.id}.txt`;
    a.click();
    URL.revokeObjectURL(url);
  };

  if (round.key_mode === 'master') {
    return (
      <Card title={t('officer.open.title')} data-testid="opening">
        <Space direction="vertical" style={{ width: '100%' }}>
          <Typography.Paragraph>{t('officer.open.masterExplain')}</Typography.Paragraph>
          {officer && (
            <Button type="primary" loading={submitting} onClick={() => present({})} data-testid="open-master">
              {t('officer.open.openMaster')}
            </Button>
          )}
        </Space>
      </Card>
    );
  }

  const done = progress ? progress.presented : null;
  return (
    <Card title={t('officer.open.title')} data-testid="opening">
      <Space direction="vertical" size="middle" style={{ width: '100%' }}>
        <Typography.Paragraph style={{ marginBottom: 0 }}>
          {t('officer.open.explain', { k: round.quorum, n: round.custodians.length })}
        </Typography.Paragraph>
        <div>
          <Typography.Text strong>{t('officer.open.quorum')}: </Typography.Text>
          <span data-testid="quorum-progress">{done === null ? `– / ${quorum}` : `${done} / ${quorum}`}</span>
          <Progress
            steps={Math.max(1, quorum)}
            percent={done === null ? 0 : Math.min(100, (done / Math.max(1, quorum)) * 100)}
            showInfo={false}
            aria-label={t('officer.open.quorum')}
            style={{ marginLeft: 12 }}
          />
          {done === null && (
            <Typography.Paragraph type="secondary" style={{ marginBottom: 0 }}>
              {t('officer.open.quorumUnknown')}
            </Typography.Paragraph>
          )}
        </div>
        {!custodian && <Alert type="info" showIcon message={officer ? t('officer.open.notCustodian') : t('officer.open.readOnly')} />}
        {custodian && (
          <>
            <Alert type="warning" showIcon message={t('officer.open.onceTitle')} description={t('officer.open.once')} />
            <Space wrap>
              <Button onClick={fetchShare} loading={fetching} disabled={!!share || fetchedBefore || presented} data-testid="share-fetch">
                {t('officer.open.fetch')}
              </Button>
              {fetchedBefore && !share && <Typography.Text type="secondary">{t('officer.open.pasteKept')}</Typography.Text>}
            </Space>
            {share && (
              <Form layout="vertical">
                <Form.Item label={t('officer.open.yourShare')} htmlFor="share-value" extra={t('officer.open.keep')} style={{ marginBottom: 8 }}>
                  <Input.TextArea id="share-value" value={share} readOnly autoSize={{ minRows: 2, maxRows: 6 }} data-testid="share-value" style={{ fontFamily: 'monospace' }} />
                </Form.Item>
                <Space wrap>
                  <Typography.Text copyable={{ text: share, tooltips: [t('officer.open.copy'), t('officer.open.copied')] }}>{t('officer.open.copy')}</Typography.Text>
                  <Button size="small" onClick={saveFile}>
                    {t('officer.open.saveFile')}
                  </Button>
                </Space>
              </Form>
            )}
            <Form layout="vertical" onFinish={() => present({ share: input.trim() })}>
              <Form.Item label={t('officer.open.present')} htmlFor="share-input" extra={t('officer.open.presentHint')} style={{ marginBottom: 8 }}>
                <Input.TextArea
                  id="share-input"
                  value={input}
                  onChange={(e) => setInput(e.target.value)}
                  autoSize={{ minRows: 2, maxRows: 6 }}
                  maxLength={1024}
                  disabled={presented}
                  data-testid="share-input"
                  style={{ fontFamily: 'monospace' }}
                />
              </Form.Item>
              <Button type="primary" htmlType="submit" loading={submitting} disabled={!input.trim() || presented} data-testid="share-submit">
                {t('officer.open.submit')}
              </Button>
              {presented && (
                <Typography.Text type="success" style={{ marginLeft: 12 }}>
                  {t('officer.open.presentedNote')}
                </Typography.Text>
              )}
            </Form>
          </>
        )}
      </Space>
    </Card>
  );
}

function BidsTable({ lot }: { lot: LotEvaluation }) {
  const { t, has } = useI18n();
  return (
    <Table<BidEvaluation>
      size="small"
      rowKey="bid_id"
      dataSource={lot.bids}
      pagination={false}
      scroll={{ x: 1200 }}
      data-testid={`evaluation-bids-${lot.number}`}
      columns={[
        { title: t('officer.eval.rank'), dataIndex: 'rank', width: 60, render: (v?: number | null) => v ?? '—' },
        { title: t('officer.eval.supplier'), dataIndex: 'supplier_name', width: 220, ellipsis: true },
        { title: t('officer.eval.ucp'), dataIndex: 'ucp', align: 'right', render: (v?: string | null) => money(v) },
        { title: t('officer.eval.outcome'), dataIndex: 'won', render: (v: boolean) => <WonTag won={v} /> },
        {
          title: t('officer.eval.reason'),
          key: 'reason',
          width: 320,
          render: (_, b) => <span style={{ whiteSpace: 'normal' }}>{outcomeText(t, has, b.outcome, b.reason)}</span>,
        },
        { title: t('officer.eval.unitPrice'), dataIndex: 'unit_price', align: 'right', render: (v: string) => money(v) },
        { title: t('officer.eval.awarded'), key: 'awarded', align: 'right', render: (_, b) => (b.won ? money(b.awarded_unit_price) : '—') },
        { title: t('officer.eval.product'), dataIndex: 'product_code' },
      ]}
    />
  );
}

function RegionsTable({ lines }: { lines: AllocationLine[] }) {
  const { t } = useI18n();
  const provinces = useProvinces();
  const { lang } = useI18n();
  return (
    <Table<AllocationLine>
      size="small"
      rowKey={(l) => `${l.province}-${l.bid_id}`}
      dataSource={lines}
      pagination={lines.length > 12 ? { pageSize: 12, showSizeChanger: false } : false}
      scroll={{ x: 1100 }}
      columns={[
        { title: t('common.province'), dataIndex: 'province', render: (v: string, l) => provinceName(provinces, v, lang) || l.province_name },
        { title: t('officer.eval.winner'), dataIndex: 'supplier_name', width: 220, ellipsis: true },
        { title: t('officer.eval.agreed'), dataIndex: 'agreed_volume', align: 'right', render: (v: number) => units(v) },
        { title: t('officer.eval.unitPrice'), dataIndex: 'unit_price', align: 'right', render: (v: string) => money(v) },
        { title: t('officer.eval.amount'), dataIndex: 'annual_amount', align: 'right', render: (v: string) => money(v) },
        { title: t('officer.eval.demand'), dataIndex: 'annual_demand', align: 'right', render: (v: number) => units(v) },
        { title: t('officer.eval.pick'), key: 'pick', render: (_, l) => `${t('officer.eval.turn', { n: l.draft_turn })} · ${pickText(t, l.pick)}` },
        {
          title: t('officer.eval.backup'),
          key: 'backup',
          render: (_, l) => (l.backup ? `${l.backup.supplier_name} (${money(l.backup.unit_price)})` : t('common.none')),
        },
      ]}
    />
  );
}

function LotReview({ lot }: { lot: LotEvaluation }) {
  const { t } = useI18n();
  const a = lot.allocation;
  return (
    <Space direction="vertical" size="middle" style={{ width: '100%' }}>
      <Descriptions size="small" column={{ xs: 1, sm: 1, md: 2, lg: 2, xl: 3, xxl: 4 }}>
        <Descriptions.Item label={t('officer.lots.ceiling')}>{money(lot.ceiling)}</Descriptions.Item>
        <Descriptions.Item label={t('officer.lots.previous')}>{money(lot.previous_price)}</Descriptions.Item>
        <Descriptions.Item label={t('officer.eval.lowest')}>{money(lot.lowest_ucp)}</Descriptions.Item>
        <Descriptions.Item label={t('officer.eval.selectionLimit')}>{money(lot.selection_limit)}</Descriptions.Item>
        <Descriptions.Item label={t('officer.eval.highestWinning')}>{money(lot.highest_winning_ucp)}</Descriptions.Item>
        <Descriptions.Item label={t('officer.eval.validBidders')}>{lot.valid_bidders}</Descriptions.Item>
        <Descriptions.Item label={t('officer.eval.maxWinners')}>{lot.max_winners}</Descriptions.Item>
        <Descriptions.Item label={t('officer.lots.representative')}>{lot.representative_code}</Descriptions.Item>
      </Descriptions>
      {lot.status !== 'successful' && (
        <Alert type="warning" showIcon message={t('officer.eval.unsuccessful', { why: unsuccessfulText(t, lot.unsuccessful_reason) })} />
      )}
      <BidsTable lot={lot} />
      {lot.revival && (
        <Card size="small" title={t('officer.eval.revival', { ucp: money(lot.revival.ucp), places: lot.revival.places })}>
          <Table
            size="small"
            rowKey="bid_id"
            dataSource={lot.revival.candidates}
            pagination={false}
            scroll={{ x: 'max-content' }}
            columns={[
              { title: t('officer.eval.rank'), dataIndex: 'rank' },
              { title: t('officer.eval.supplier'), dataIndex: 'supplier_name', width: 220, ellipsis: true },
              { title: t('officer.eval.ucp'), dataIndex: 'ucp', align: 'right', render: (v: string) => money(v) },
              { title: t('officer.eval.revivalPrice'), dataIndex: 'revival_unit_price', align: 'right', render: (v: string) => money(v) },
            ]}
          />
        </Card>
      )}
      {a && (
        <>
          <Descriptions size="small" column={{ xs: 1, sm: 1, md: 2, lg: 2, xl: 3, xxl: 4 }} title={t('officer.eval.allocation')}>
            <Descriptions.Item label={t('officer.eval.winners')}>{a.winners}</Descriptions.Item>
            <Descriptions.Item label={t('officer.eval.volumeRatio')}>{a.volume_ratio}</Descriptions.Item>
            <Descriptions.Item label={t('officer.eval.totalDemand')}>{units(a.total_demand)}</Descriptions.Item>
            <Descriptions.Item label={t('officer.eval.agreed')}>{units(a.agreed_volume)}</Descriptions.Item>
            <Descriptions.Item label={t('officer.eval.amount')}>{money(a.annual_amount)}</Descriptions.Item>
            <Descriptions.Item label={t('officer.eval.cycle')}>
              {t('officer.eval.cycleText', { from: a.cycle_start, to: a.cycle_end, years: a.cycle_years })}
            </Descriptions.Item>
          </Descriptions>
          <RegionsTable lines={a.lines} />
        </>
      )}
    </Space>
  );
}

/** Evaluating an opened round, the review, and the award of exactly the evaluation shown. */
function EvaluationPanel({ round, reloadRound }: { round: Round; reloadRound: () => void }) {
  const { t } = useI18n();
  const { me } = useAuth();
  const { message } = App.useApp();
  const say = useSay();
  const officer = me?.role === 'procurement_officer';
  const canRead = officer || me?.role === 'auditor';
  const [ev, setEv] = useState<EvaluationResponse | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [evaluating, setEvaluating] = useState(false);
  const [awarding, setAwarding] = useState(false);
  const [form] = Form.useForm<{ cycle_start?: Dayjs | null; revival_window_minutes?: number | null }>();

  const load = useCallback(async () => {
    try {
      setEv(await must(api.GET('/api/v1/rounds/{id}/evaluation', { params: { path: { id: round.id } } })));
      setError(null);
    } catch (e) {
      setError(say(e));
    }
  }, [round.id, say]);

  useEffect(() => {
    if (round.status === 'evaluated' && canRead) void load();
  }, [round.status, round.evaluated_at, canRead, load]);

  const evaluate = async () => {
    const v = form.getFieldsValue();
    setEvaluating(true);
    try {
      const r = await must(
        api.POST('/api/v1/rounds/{id}/evaluate', {
          params: { path: { id: round.id } },
          body: {
            cycle_start: v.cycle_start ? v.cycle_start.format('YYYY-MM-DD') : null,
            revival_window_minutes: v.revival_window_minutes ?? null,
          },
        }),
      );
      setEv(r);
      setError(null);
      message.success(t('officer.eval.done'));
      reloadRound();
    } catch (e) {
      message.error(say(e));
    } finally {
      setEvaluating(false);
    }
  };

  const award = async () => {
    if (!ev) return;
    setAwarding(true);
    try {
      const r = await must(
        api.POST('/api/v1/rounds/{id}/award', { params: { path: { id: round.id } }, body: { evaluation_digest: ev.digest } }),
      );
      message.success(t('officer.award.done', { n: r.contracts }));
      reloadRound();
    } catch (e) {
      message.error(say(e));
      if (problemOf(e).code === 'evaluation_digest_stale' || problemOf(e).code === 'revival_answers_after_evaluation') void load();
    } finally {
      setAwarding(false);
    }
  };

  const lots = ev?.evaluation.lots ?? [];
  return (
    <Card title={t('officer.eval.title')} data-testid="evaluation">
      <Space direction="vertical" size="middle" style={{ width: '100%' }}>
        {officer && (
          <Form form={form} layout="inline" style={{ rowGap: 8 }}>
            <Form.Item name="cycle_start" label={t('officer.eval.cycleStart')} tooltip={t('officer.eval.cycleStartHint')}>
              <DatePicker />
            </Form.Item>
            {round.preset === 'batch10' && (
              <Form.Item name="revival_window_minutes" label={t('officer.eval.revivalWindow')} tooltip={t('officer.eval.revivalWindowHint')}>
                <InputNumber min={1} max={20160} precision={0} />
              </Form.Item>
            )}
            <Form.Item>
              <Button type={round.status === 'opened' ? 'primary' : 'default'} loading={evaluating} onClick={evaluate} data-testid="evaluate">
                {round.status === 'opened' ? t('officer.eval.run') : t('officer.eval.rerun')}
              </Button>
            </Form.Item>
          </Form>
        )}
        {round.status === 'opened' && !ev && <Typography.Text type="secondary">{t('officer.eval.notYet')}</Typography.Text>}
        {error && <Alert type="error" showIcon message={error} />}
        {!canRead && round.status === 'evaluated' && <Alert type="info" showIcon message={t('officer.eval.notForRole')} />}
        {ev && (
          <>
            <Descriptions size="small" bordered column={{ xs: 1, sm: 1, md: 2, lg: 2, xl: 2, xxl: 2 }}>
              <Descriptions.Item label={t('officer.eval.evaluatedAt')}>{cst(ev.evaluation.evaluated_at)}</Descriptions.Item>
              <Descriptions.Item label={t('officer.eval.cycleStart')}>{ev.evaluation.cycle_start}</Descriptions.Item>
              {ev.evaluation.revival_deadline && (
                <Descriptions.Item label={t('officer.eval.revivalDeadline')}>{cst(ev.evaluation.revival_deadline)}</Descriptions.Item>
              )}
              <Descriptions.Item label={t('officer.eval.digest')} span="filled">
                <Typography.Text code copyable data-testid="evaluation-digest" style={{ wordBreak: 'break-all' }}>
                  {ev.digest}
                </Typography.Text>
              </Descriptions.Item>
            </Descriptions>
            <Collapse
              defaultActiveKey={lots.slice(0, 3).map((l) => l.lot_id)}
              items={lots.map((l) => ({
                key: l.lot_id,
                label: (
                  <Space wrap>
                    <span>{t('officer.lots.lotTitle', { n: l.number, name: l.generic_name })}</span>
                    <LotStatusTag status={l.status} />
                    <Typography.Text type="secondary">
                      {t('officer.eval.lotSummary', { won: l.bids.filter((b) => b.won).length, bids: l.bids.length })}
                    </Typography.Text>
                  </Space>
                ),
                children: <LotReview lot={l} />,
              }))}
            />
            {officer && round.status === 'evaluated' && (
              <Space wrap>
                <Popconfirm
                  title={t('officer.award.confirm')}
                  description={t('officer.award.confirmDetail', { digest: ev.digest.slice(0, 12) })}
                  onConfirm={award}
                  okText={t('officer.award.ok')}
                  cancelText={t('common.cancel')}
                  okButtonProps={{ 'data-testid': 'award-confirm' } as ButtonProps}
                >
                  <Button type="primary" loading={awarding} data-testid="award">
                    {t('officer.award.button')}
                  </Button>
                </Popconfirm>
                <Typography.Text type="secondary">{t('officer.award.hint')}</Typography.Text>
              </Space>
            )}
          </>
        )}
      </Space>
    </Card>
  );
}

/** Total demand by province (a bar chart) and per lot and province (a table). */
function DemandPanel({ round, lots }: { round: Round; lots: Lot[] }) {
  const { t, lang } = useI18n();
  const provinces = useProvinces();
  const [demand, setDemand] = useState<DemandView | null>(null);
  const [error, setError] = useState<string | null>(null);
  const say = useSay();
  useEffect(() => {
    let alive = true;
    must(api.GET('/api/v1/rounds/{id}/demand', { params: { path: { id: round.id } } }))
      .then((d) => alive && setDemand(d))
      .catch((e) => alive && setError(say(e)));
    return () => {
      alive = false;
    };
  }, [round.id, round.status, say]);

  const byProvince = useMemo(() => {
    const m = new Map<string, { total: number; lots: Record<string, number> }>();
    for (const r of demand?.rows ?? []) {
      const p = m.get(r.province) ?? { total: 0, lots: {} };
      p.total += r.annual_quantity;
      p.lots[r.lot_id] = (p.lots[r.lot_id] ?? 0) + r.annual_quantity;
      m.set(r.province, p);
    }
    return [...m.entries()].map(([province, v]) => ({ province, ...v })).sort((a, b) => b.total - a.total);
  }, [demand]);

  const option = useMemo<ChartOption>(() => {
    const rows = [...byProvince].reverse();
    return {
      tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
      grid: { left: 8, right: 24, top: 8, bottom: 8, containLabel: true },
      xAxis: { type: 'value', name: t('officer.demand.units'), nameLocation: 'middle', nameGap: 28 },
      yAxis: { type: 'category', data: rows.map((r) => provinceName(provinces, r.province, lang)) },
      series: [{ type: 'bar', name: t('officer.demand.total'), data: rows.map((r) => r.total), itemStyle: { color: '#a61d24' } }],
    };
  }, [byProvince, provinces, lang, t]);

  if (error) return <Alert type="warning" showIcon message={error} />;
  if (!demand) return <Loading />;
  if (byProvince.length === 0) return <Empty description={t('officer.demand.none')} />;
  const totals = new Map(demand.totals.map((x) => [x.lot_id, x.annual_quantity]));
  return (
    <Space direction="vertical" size="middle" style={{ width: '100%' }}>
      <Chart option={option} height={Math.max(200, byProvince.length * 26 + 40)} label={t('officer.demand.chartLabel', { round: round.name })} />
      <Table
        size="small"
        rowKey="province"
        data-testid="demand-table"
        dataSource={byProvince}
        pagination={false}
        scroll={{ x: 'max-content', y: 420 }}
        columns={[
          { title: t('common.province'), dataIndex: 'province', fixed: 'left', render: (v: string) => provinceName(provinces, v, lang) },
          ...lots.map((l) => ({
            title: t('officer.lots.lotShort', { n: l.number, name: l.generic_name }),
            key: l.id,
            align: 'right' as const,
            render: (_: unknown, r: (typeof byProvince)[number]) => units(r.lots[l.id] ?? 0),
          })),
          { title: t('officer.demand.total'), dataIndex: 'total', align: 'right' as const, render: (v: number) => <strong>{units(v)}</strong> },
        ]}
        summary={() => (
          <Table.Summary.Row>
            <Table.Summary.Cell index={0}>
              <strong>{t('officer.demand.allProvinces')}</strong>
            </Table.Summary.Cell>
            {lots.map((l, i) => (
              <Table.Summary.Cell key={l.id} index={i + 1} align="right">
                {units(totals.get(l.id) ?? 0)}
              </Table.Summary.Cell>
            ))}
            <Table.Summary.Cell index={lots.length + 1} align="right">
              <strong>{units(demand.totals.reduce((s, x) => s + x.annual_quantity, 0))}</strong>
            </Table.Summary.Cell>
          </Table.Summary.Row>
        )}
      />
    </Space>
  );
}

function CancelButton({ round, onCancelled }: { round: Round; onCancelled: () => void }) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const say = useSay();
  const [open, setOpen] = useState(false);
  const [busy, setBusy] = useState(false);
  const [form] = Form.useForm<{ reason: string }>();
  const submit = async ({ reason }: { reason: string }) => {
    setBusy(true);
    try {
      await must(api.POST('/api/v1/rounds/{id}/cancel', { params: { path: { id: round.id } }, body: { reason: reason.trim() } }));
      message.success(t('officer.cancel.done'));
      setOpen(false);
      onCancelled();
    } catch (e) {
      message.error(say(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <Button danger onClick={() => setOpen(true)} data-testid="cancel-round">
        {t('officer.cancel.button')}
      </Button>
      <Modal
        open={open}
        title={t('officer.cancel.title')}
        onCancel={() => setOpen(false)}
        okText={t('officer.cancel.ok')}
        cancelText={t('common.cancel')}
        okButtonProps={{ danger: true, loading: busy, 'data-testid': 'cancel-submit' } as ButtonProps}
        onOk={() => form.submit()}
        destroyOnHidden
      >
        <Form form={form} layout="vertical" onFinish={submit} preserve={false}>
          <Alert type="warning" showIcon message={t('officer.cancel.warning')} style={{ marginBottom: 16 }} />
          <Form.Item name="reason" label={t('officer.cancel.reason')} rules={[{ required: true, whitespace: true, max: 2000, message: t('officer.cancel.reasonRule') }]}>
            <Input.TextArea rows={4} maxLength={2000} showCount data-testid="cancel-reason" />
          </Form.Item>
        </Form>
      </Modal>
    </>
  );
}

function Facts({ round }: { round: Round }) {
  const { t } = useI18n();
  const { me } = useAuth();
  const mine = !!me && round.custodians.includes(me.id);
  return (
    <Descriptions size="small" bordered column={{ xs: 1, sm: 1, md: 2, lg: 2, xl: 2, xxl: 3 }} styles={{ label: { whiteSpace: 'nowrap' }, content: { minWidth: 160 } }} data-testid="round-facts">
      <Descriptions.Item label={t('officer.builder.kind')}>{t(`round.kind.${round.kind}`)}</Descriptions.Item>
      <Descriptions.Item label={t('officer.builder.preset')}>{t(`officer.preset.${round.preset}`)}</Descriptions.Item>
      <Descriptions.Item label={t('round.deadline')}>{cst(round.bidding_deadline)}</Descriptions.Item>
      <Descriptions.Item label={t('officer.builder.keyMode')}>
        {t(`officer.keyMode.${round.key_mode}`)}
        {round.key_mode === 'threshold' && ` · ${t('officer.manage.quorumOf', { k: round.quorum, n: round.custodians.length })}`}
        {mine && (
          <Tag color="gold" style={{ marginLeft: 8 }}>
            {t('officer.manage.youHoldShare')}
          </Tag>
        )}
      </Descriptions.Item>
      {round.ceilings_date && <Descriptions.Item label={t('officer.manage.ceilingsDate')}>{round.ceilings_date}</Descriptions.Item>}
      <Descriptions.Item label={t('officer.manage.termsVersion')}>{round.terms_version}</Descriptions.Item>
      <Descriptions.Item label={t('common.created')}>{cst(round.created_at)}</Descriptions.Item>
      {round.published_at && <Descriptions.Item label={t('officer.manage.publishedAt')}>{cst(round.published_at)}</Descriptions.Item>}
      {round.closed_at && <Descriptions.Item label={t('officer.manage.closedAt')}>{cst(round.closed_at)}</Descriptions.Item>}
      {round.opened_at && <Descriptions.Item label={t('officer.manage.openedAt')}>{cst(round.opened_at)}</Descriptions.Item>}
      {round.evaluated_at && <Descriptions.Item label={t('officer.manage.evaluatedAt')}>{cst(round.evaluated_at)}</Descriptions.Item>}
      {round.awarded_at && <Descriptions.Item label={t('officer.manage.awardedAt')}>{cst(round.awarded_at)}</Descriptions.Item>}
      {round.cycle_start && <Descriptions.Item label={t('officer.eval.cycleStart')}>{round.cycle_start}</Descriptions.Item>}
      {round.revival_deadline && <Descriptions.Item label={t('officer.eval.revivalDeadline')}>{cst(round.revival_deadline)}</Descriptions.Item>}
      {round.cancel_reason && (
        <Descriptions.Item label={t('officer.manage.cancelReason')} span="filled">
          {round.cancel_reason}
        </Descriptions.Item>
      )}
      {round.public_key && (
        <Descriptions.Item label={t('officer.manage.publicKey')} span="filled">
          <Typography.Text code style={{ wordBreak: 'break-all' }}>
            {round.public_key}
          </Typography.Text>
        </Descriptions.Item>
      )}
    </Descriptions>
  );
}

export default function RoundManage() {
  const { id = '' } = useParams();
  const { t } = useI18n();
  const { me } = useAuth();
  const say = useSay();
  const [round, setRound] = useState<Round | null>(null);
  const [lots, setLots] = useState<Lot[]>([]);
  const [error, setError] = useState<string | null>(null);
  const officer = me?.role === 'procurement_officer';

  const loadRound = useCallback(async () => {
    try {
      setRound(await must(api.GET('/api/v1/rounds/{id}', { params: { path: { id } } })));
      setError(null);
    } catch (e) {
      setError(say(e));
    }
  }, [id, say]);

  useEffect(() => {
    void loadRound();
  }, [loadRound]);

  useEffect(() => {
    let alive = true;
    must(api.GET('/api/v1/rounds/{id}/lots', { params: { path: { id }, query: { per_page: 200 } } }))
      .then((p) => alive && setLots(p.items))
      .catch(() => alive && setLots([]));
    return () => {
      alive = false;
    };
    // the ceilings freeze at publication: read the lots again when the status moves
  }, [id, round?.status]);

  // while waiting for the other custodians, follow the round's status
  const status = round?.status;
  useEffect(() => {
    if (status !== 'closed') return;
    const timer = setInterval(() => void loadRound(), POLL_MS);
    return () => clearInterval(timer);
  }, [status, loadRound]);

  if (error && !round) {
    return (
      <PageContainer title={t('round.manage')}>
        <Alert type="error" showIcon message={error} />
      </PageContainer>
    );
  }
  if (!round) return <Loading />;

  const cancellable = officer && ['draft', 'demand_collection', 'bidding_open', 'closed', 'opened', 'evaluated'].includes(round.status);
  const building = officer && ['draft', 'demand_collection'].includes(round.status);
  const published = ['awarded', 'completed'].includes(round.status);
  return (
    <PageContainer
      title={round.name}
      tags={
        <span data-testid="round-status" data-status={round.status}>
          <RoundStatus status={round.status} />
        </span>
      }
      extra={
        <Space wrap>
          {building && (
            <Link to={`/rounds/new?round=${round.id}`} data-testid="continue-building">
              <Button type="primary">{round.status === 'draft' ? t('officer.manage.continue') : t('officer.manage.toPublish')}</Button>
            </Link>
          )}
          {published && (
            <Link to={`/rounds/${round.id}/results`} data-testid="results-link">
              <Button type="primary">{t('officer.manage.results')}</Button>
            </Link>
          )}
          {cancellable && <CancelButton round={round} onCancelled={() => void loadRound()} />}
        </Space>
      }
    >
      <Space direction="vertical" size="large" style={{ width: '100%' }}>
        {error && <Alert type="warning" showIcon message={error} />}
        <Card title={t('officer.manage.facts')}>
          <Facts round={round} />
        </Card>
        {round.status === 'bidding_open' && <LiveBids key={round.id} round={round} onStatusChange={() => void loadRound()} />}
        {round.status === 'closed' && <Opening key={round.id} round={round} onOpened={() => void loadRound()} />}
        {(round.status === 'opened' || round.status === 'evaluated') && <EvaluationPanel round={round} reloadRound={() => void loadRound()} />}
        {published && (
          <Result
            status="success"
            title={t('officer.award.published')}
            subTitle={round.awarded_at ? t('officer.award.publishedAt', { at: cst(round.awarded_at) }) : undefined}
            extra={
              <Link to={`/rounds/${round.id}/results`}>
                <Button type="primary">{t('officer.manage.results')}</Button>
              </Link>
            }
          />
        )}
        {round.status === 'cancelled' && (
          <Alert type="error" showIcon message={t('officer.manage.cancelled')} description={round.cancel_reason ?? undefined} />
        )}
        <Card title={t('officer.manage.lots', { n: lots.length })}>
          <LotTable lots={lots} />
        </Card>
        <Card title={t('officer.demand.title')}>
          <DemandPanel round={round} lots={lots} />
        </Card>
      </Space>
    </PageContainer>
  );
}

