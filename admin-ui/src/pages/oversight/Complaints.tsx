// Complaints against published results (质疑投诉): a supplier objects to the result of a lot
// it bid on, within the round's objection window, and adds evidence (kept with its SHA-256)
// or withdraws while the complaint is open; an officer takes it up, then upholds it (may
// suspend the lot's contracts in every province) or dismisses it, with an answer; auditors
// and admins read. `/complaints/:id` (the mail notices' link) opens that complaint.
import { PageContainer, type ProColumns } from '@ant-design/pro-components';
import { Alert, App, Button, Card, Checkbox, Descriptions, Drawer, Form, Input, Space, Table, Tag, Timeline, Tooltip, Typography } from 'antd';
import { DownloadOutlined, PaperClipOutlined, PlusOutlined } from '@ant-design/icons';
import { useEffect, useMemo, useRef, useState } from 'react';
import { useNavigate, useParams } from 'react-router';
import dayjs from 'dayjs';
import utc from 'dayjs/plugin/utc';
import { api, download, getJson, must, uploadRaw, type Page, type Schemas } from '../../api/client';
import { describe } from '../../api/problem';
import { useAuth } from '../../auth';
import FormModal from '../../components/FormModal';
import FormSelect from '../../components/FormSelect';
import Loading from '../../components/Loading';
import ServerTable from '../../components/ServerTable';
import { cst } from '../../components/format';
import { useI18n } from '../../i18n';
import { TONE } from '../buyer/shared';
import { COMPLAINT_STATUSES, ComplaintStatusTag, fileSize, isOpen } from './shared';

dayjs.extend(utc);

type Complaint = Schemas['ComplaintDto'];
type Attachment = Schemas['AttachmentDto'];
type Round = Schemas['RoundDto'];
type LotResult = Schemas['LotResult'];

const MAX_TEXT = 5000;
const MAX_FILE = 5 * 1024 * 1024;
const MAX_FILES = 10;

// ---------------------------------------------------------------------------------------
// the list

export default function ComplaintsPage() {
  const { me } = useAuth();
  const { t } = useI18n();
  const { id } = useParams();
  const navigate = useNavigate();
  const table = useRef<{ reload: () => void }>(null);
  const [rounds, setRounds] = useState<Round[]>([]);
  const [creating, setCreating] = useState(false);
  const role = me?.role;
  const supplier = role === 'supplier';

  useEffect(() => {
    let alive = true;
    Promise.all(
      ['awarded', 'completed'].map((status) =>
        getJson<Page<Round>>('/api/v1/rounds', { status, per_page: 200 }).then((p) => p.items).catch(() => [] as Round[]),
      ),
    ).then((lists) => alive && setRounds(lists.flat()));
    return () => {
      alive = false;
    };
  }, []);

  // the status first: it is what a reader scans for, and stays in view on a narrow screen
  const columns: ProColumns<Complaint>[] = [
    {
      title: t('common.status'),
      dataIndex: 'status',
      valueType: 'select',
      valueEnum: Object.fromEntries(COMPLAINT_STATUSES.map((s) => [s, { text: t(`oversight.complaint.status.${s}`) }])),
      render: (_, c) => <ComplaintStatusTag status={c.status} testId={`complaint-status-${c.id}`} />,
    },
    {
      title: t('oversight.complaint.submittedAt'),
      dataIndex: 'submitted_at',
      search: false,
      render: (_, c) => <span data-testid={`complaint-row-${c.id}`}>{cst(c.submitted_at)}</span>,
    },
    {
      title: t('oversight.complaint.round'),
      dataIndex: 'round_id',
      valueType: 'select',
      fieldProps: { options: rounds.map((r) => ({ value: r.id, label: r.name })), showSearch: true, optionFilterProp: 'label' },
      render: (_, c) => (
        <Typography.Text ellipsis style={{ maxWidth: 180 }} title={c.round_name}>
          {c.round_name}
        </Typography.Text>
      ),
    },
    {
      title: t('oversight.complaint.lot'),
      dataIndex: 'generic_name',
      search: false,
      render: (_, c) => (
        <span>
          <Typography.Text type="secondary">{t('buyer.contract.lotN', { n: c.lot_number })}</Typography.Text> {c.generic_name}
        </span>
      ),
    },
    ...(supplier ? [] : [{ title: t('oversight.complaint.supplier'), dataIndex: 'supplier_name', search: false } as ProColumns<Complaint>]),
    {
      title: t('oversight.complaint.attachments'),
      dataIndex: 'attachments',
      search: false,
      align: 'right',
      render: (_, c) => c.attachments.length,
    },
    {
      title: t('oversight.complaint.closedAt'),
      dataIndex: 'closed_at',
      search: false,
      render: (_, c) => cst(c.closed_at),
    },
    {
      title: t('common.actions'),
      search: false,
      fixed: 'right',
      render: (_, c) => (
        <Button size="small" type="link" onClick={() => navigate(`/complaints/${c.id}`)} data-testid={`complaint-open-${c.id}`}>
          {t('common.details')}
        </Button>
      ),
    },
  ];

  return (
    <PageContainer title={t('menu.complaints')} content={t(`oversight.complaint.intro.${role ?? 'auditor'}`)}>
      <ServerTable<Complaint>
        path="/api/v1/complaints"
        rowKey="id"
        columns={columns}
        tableRef={table}
        toolbar={
          supplier
            ? [
                <Button key="new" type="primary" icon={<PlusOutlined />} onClick={() => setCreating(true)} data-testid="complaint-new">
                  {t('oversight.complaint.new')}
                </Button>,
              ]
            : undefined
        }
      />
      <ComplaintDrawer
        id={id ?? null}
        onClose={() => navigate('/complaints')}
        onChanged={() => table.current?.reload()}
      />
      {creating && (
        <NewComplaint
          rounds={rounds.filter((r) => r.status === 'awarded')}
          onClose={() => setCreating(false)}
          onCreated={(c) => {
            setCreating(false);
            table.current?.reload();
            navigate(`/complaints/${c.id}`);
          }}
        />
      )}
    </PageContainer>
  );
}

// ---------------------------------------------------------------------------------------
// one complaint

function ComplaintDrawer({ id, onClose, onChanged }: { id: string | null; onClose: () => void; onChanged: () => void }) {
  const { t, has } = useI18n();
  const [complaint, setComplaint] = useState<Complaint | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    setComplaint(null);
    setError(null);
    if (!id) return;
    let alive = true;
    must(api.GET('/api/v1/complaints/{id}', { params: { path: { id } } }))
      .then((c) => alive && setComplaint(c))
      .catch((e) => alive && setError(describe(t, has, e)));
    return () => {
      alive = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [id]);

  const c = complaint && complaint.id === id ? complaint : null;
  return (
    <Drawer
      open={!!id}
      onClose={onClose}
      width="min(860px, 100vw)"
      title={c ? `${t('buyer.contract.lotN', { n: c.lot_number })} ${c.generic_name} · ${c.supplier_name}` : t('oversight.complaint.title')}
      destroyOnHidden
    >
      {error && <Alert type="error" showIcon message={error} />}
      {id && !c && !error && <Loading />}
      {c && (
        <ComplaintView
          complaint={c}
          onChanged={(next) => {
            setComplaint(next);
            onChanged();
          }}
        />
      )}
    </Drawer>
  );
}

function ComplaintView({ complaint: c, onChanged }: { complaint: Complaint; onChanged: (c: Complaint) => void }) {
  const { me } = useAuth();
  const { t } = useI18n();
  const open = isOpen(c.status);
  const officer = me?.role === 'procurement_officer';
  const owner = me?.role === 'supplier' && me.org_id === c.supplier_org_id;
  return (
    <Space direction="vertical" size="large" style={{ width: '100%' }} data-testid="complaint-drawer" data-status={c.status}>
      <Descriptions size="small" bordered column={{ xs: 1, sm: 2, md: 2, lg: 2, xl: 2, xxl: 2 }}>
        <Descriptions.Item label={t('oversight.complaint.round')} span={2}>
          {c.round_name}
        </Descriptions.Item>
        <Descriptions.Item label={t('oversight.complaint.lot')}>
          {t('buyer.contract.lotN', { n: c.lot_number })} {c.generic_name}
        </Descriptions.Item>
        <Descriptions.Item label={t('oversight.complaint.supplier')}>{c.supplier_name}</Descriptions.Item>
        <Descriptions.Item label={t('common.status')}>
          <ComplaintStatusTag status={c.status} testId="complaint-drawer-status" />
        </Descriptions.Item>
        <Descriptions.Item label={t('oversight.complaint.suspended')}>
          {c.suspended_contracts > 0 ? <Tag color={TONE.red}>{t('oversight.complaint.suspendedN', { n: c.suspended_contracts })}</Tag> : t('common.none')}
        </Descriptions.Item>
      </Descriptions>

      <Card size="small" title={t('oversight.complaint.grounds')}>
        <Typography.Paragraph style={{ whiteSpace: 'pre-wrap', marginBottom: 0 }} data-testid="complaint-grounds">
          {c.grounds}
        </Typography.Paragraph>
      </Card>

      <Card size="small" title={t('oversight.complaint.answer')}>
        {c.answer ? (
          <Typography.Paragraph style={{ whiteSpace: 'pre-wrap', marginBottom: 0 }} data-testid="complaint-answer">
            {c.answer}
          </Typography.Paragraph>
        ) : (
          <Typography.Text type="secondary">{t(open ? 'oversight.complaint.noAnswerYet' : 'oversight.complaint.noAnswer')}</Typography.Text>
        )}
      </Card>

      <Attachments complaint={c} canUpload={owner && open} onChanged={onChanged} />

      <Card size="small" title={t('oversight.complaint.timeline')}>
        <Timeline
          data-testid="complaint-timeline"
          items={[
            { color: 'blue', children: `${t('oversight.complaint.status.submitted')} · ${cst(c.submitted_at)}` },
            ...(c.reviewed_at ? [{ color: 'gray', children: `${t('oversight.complaint.reviewed')} · ${cst(c.reviewed_at)}` }] : []),
            ...(c.closed_at
              ? [
                  {
                    color: c.status === 'upheld' ? 'green' : c.status === 'dismissed' ? 'red' : 'gray',
                    children: `${t(`oversight.complaint.status.${c.status}`)} · ${cst(c.closed_at)}`,
                  },
                ]
              : [{ color: 'gray', children: t('oversight.complaint.pending') }]),
            ...(c.resumed_at
              ? [{ color: 'green', children: `${t('oversight.complaint.resumed')} · ${cst(c.resumed_at)}: ${c.resume_note ?? ''}` }]
              : []),
          ]}
        />
      </Card>

      {officer && open && <OfficerActions complaint={c} onChanged={onChanged} />}
      {officer && c.status === 'upheld' && c.suspended_contracts > 0 && !c.resumed_at && <ResumeAction complaint={c} onChanged={onChanged} />}
      {owner && open && <SupplierActions complaint={c} onChanged={onChanged} />}
    </Space>
  );
}

function Attachments({ complaint: c, canUpload, onChanged }: { complaint: Complaint; canUpload: boolean; onChanged: (c: Complaint) => void }) {
  const { t, has } = useI18n();
  const { message } = App.useApp();
  const input = useRef<HTMLInputElement>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const full = c.attachments.length >= MAX_FILES;

  const fetchFile = async (a: Attachment) => {
    try {
      const blob = await download('/api/v1/complaints/{id}/attachments/{attachment_id}', { id: c.id, attachment_id: a.id }, undefined, a.file_name);
      // the file as received, checked against the digest stored when it was attached
      const subtle = globalThis.crypto?.subtle;
      if (subtle) {
        const digest = await subtle.digest('SHA-256', await blob.arrayBuffer());
        const hex = [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
        if (hex === a.sha256.toLowerCase()) message.success(t('oversight.att.verified'));
        else message.error(t('oversight.att.mismatch', { got: hex }));
      }
    } catch (e) {
      message.error(describe(t, has, e));
    }
  };

  const upload = async (file: File) => {
    setError(null);
    if (file.size === 0) return setError(t('oversight.att.empty'));
    if (file.size > MAX_FILE) return setError(t('oversight.att.tooLarge', { size: fileSize(file.size) }));
    setBusy(true);
    try {
      await uploadRaw<Attachment>('/api/v1/complaints/{id}/attachments', { id: c.id }, { file_name: file.name }, file, file.type || 'application/octet-stream');
      message.success(t('oversight.att.uploaded', { name: file.name }));
      onChanged(await must(api.GET('/api/v1/complaints/{id}', { params: { path: { id: c.id } } })));
    } catch (e) {
      setError(describe(t, has, e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Card
      size="small"
      title={t('oversight.att.title', { n: c.attachments.length })}
      extra={
        canUpload ? (
          <>
            <input
              ref={input}
              type="file"
              hidden
              aria-hidden
              tabIndex={-1}
              data-testid="attachment-input"
              onChange={(e) => {
                const f = e.target.files?.[0];
                e.target.value = '';
                if (f) void upload(f);
              }}
            />
            <Tooltip title={full ? t('oversight.att.full') : t('oversight.att.limits')}>
              <Button size="small" icon={<PaperClipOutlined />} loading={busy} disabled={full} onClick={() => input.current?.click()} data-testid="attachment-upload">
                {t('oversight.att.upload')}
              </Button>
            </Tooltip>
          </>
        ) : undefined
      }
    >
      {error && <Alert type="error" showIcon message={error} style={{ marginBottom: 12 }} data-testid="attachment-error" />}
      <Table<Attachment>
        size="small"
        rowKey="id"
        dataSource={c.attachments}
        pagination={false}
        scroll={{ x: 'max-content' }}
        locale={{ emptyText: t('oversight.att.none') }}
        data-testid="complaint-attachments"
        columns={[
          {
            title: t('oversight.att.file'),
            dataIndex: 'file_name',
            render: (v: string, a) => (
              <Space direction="vertical" size={0}>
                <Typography.Text style={{ maxWidth: 220, wordBreak: 'break-all' }}>{v}</Typography.Text>
                <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                  {fileSize(a.size)} · {a.content_type}
                </Typography.Text>
              </Space>
            ),
          },
          {
            title: 'SHA-256',
            dataIndex: 'sha256',
            render: (v: string, a) => (
              <Typography.Text
                code
                copyable={{ text: v }}
                style={{ display: 'inline-block', maxWidth: 260, wordBreak: 'break-all', fontSize: 12 }}
                data-testid={`attachment-sha-${a.id}`}
              >
                {v}
              </Typography.Text>
            ),
          },
          { title: t('oversight.att.uploadedAt'), dataIndex: 'uploaded_at', render: (v: string) => cst(v) },
          {
            title: t('common.actions'),
            key: 'download',
            render: (_, a) => (
              <Button size="small" type="link" icon={<DownloadOutlined />} onClick={() => fetchFile(a)} data-testid={`attachment-download-${a.id}`}>
                {t('common.download')}
              </Button>
            ),
          },
        ]}
      />
    </Card>
  );
}

type Decision = 'uphold' | 'dismiss';

/** A step that needs only a confirmation (taking up, withdrawing): confirm, send, say so. */
function useConfirmedStep(c: Complaint, onChanged: (c: Complaint) => void) {
  const { t, has } = useI18n();
  const { message, modal } = App.useApp();
  const [busy, setBusy] = useState(false);
  const run = async (action: 'review' | 'withdraw', done: string, danger = false) => {
    const ok = await modal.confirm({
      title: t(`oversight.act.${action}Title`),
      content: t(`oversight.act.${action}Text`),
      okText: t(`oversight.act.${action}`),
      ...(danger ? { okButtonProps: { danger: true } } : {}),
      cancelText: t('common.cancel'),
    });
    if (!ok) return;
    setBusy(true);
    try {
      const next = await must(api.POST('/api/v1/complaints/{id}/actions', { params: { path: { id: c.id } }, body: { action } }));
      message.success(t(done));
      onChanged(next);
    } catch (e) {
      message.error(describe(t, has, e));
    } finally {
      setBusy(false);
    }
  };
  return { run, busy };
}

function OfficerActions({ complaint: c, onChanged }: { complaint: Complaint; onChanged: (c: Complaint) => void }) {
  const { t } = useI18n();
  const [deciding, setDeciding] = useState<Decision | null>(null);
  const { run, busy } = useConfirmedStep(c, onChanged);
  const review = () => run('review', 'oversight.act.reviewed');

  return (
    <Card size="small" title={t('oversight.act.title')}>
      <Space wrap>
        {c.status === 'submitted' && (
          <Button onClick={review} loading={busy} data-testid="complaint-review">
            {t('oversight.act.review')}
          </Button>
        )}
        <Button type="primary" onClick={() => setDeciding('uphold')} disabled={busy} data-testid="complaint-uphold">
          {t('oversight.act.uphold')}
        </Button>
        <Button danger onClick={() => setDeciding('dismiss')} disabled={busy} data-testid="complaint-dismiss">
          {t('oversight.act.dismiss')}
        </Button>
      </Space>
      {deciding && (
        <DecisionModal
          complaint={c}
          decision={deciding}
          onClose={() => setDeciding(null)}
          onDone={(next) => {
            setDeciding(null);
            onChanged(next);
          }}
        />
      )}
    </Card>
  );
}

/** Lifting the suspension an upheld complaint put on its lot, with what the review found. */
function ResumeAction({ complaint: c, onChanged }: { complaint: Complaint; onChanged: (c: Complaint) => void }) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const [open, setOpen] = useState(false);
  const [form] = Form.useForm<{ note: string }>();
  return (
    <Card size="small" title={t('oversight.resume.title')}>
      <Typography.Paragraph>{t('oversight.resume.explain', { n: c.suspended_contracts })}</Typography.Paragraph>
      <Button onClick={() => setOpen(true)} data-testid="complaint-resume">
        {t('oversight.resume.button')}
      </Button>
      {open && (
        <FormModal<{ note: string }>
          title={t('oversight.resume.title')}
          form={form}
          okText={t('oversight.resume.button')}
          okTestId="complaint-resume-submit"
          submitOnEnter={false}
          onClose={() => setOpen(false)}
          initialValues={{ note: '' }}
          onSubmit={async (v) => {
            const next = await must(
              api.POST('/api/v1/complaints/{id}/resume', { params: { path: { id: c.id } }, body: { note: v.note.trim() } }),
            );
            message.success(t('oversight.resume.done'));
            setOpen(false);
            onChanged(next);
          }}
        >
          <Form.Item
            name="note"
            label={t('oversight.resume.note')}
            rules={[{ required: true, whitespace: true, message: t('oversight.resume.noteRequired') }, { max: MAX_TEXT }]}
          >
            <Input.TextArea rows={4} maxLength={MAX_TEXT} showCount data-testid="complaint-resume-note" />
          </Form.Item>
        </FormModal>
      )}
    </Card>
  );
}

function DecisionModal({
  complaint: c,
  decision,
  onClose,
  onDone,
}: {
  complaint: Complaint;
  decision: Decision;
  onClose: () => void;
  onDone: (c: Complaint) => void;
}) {
  const { t } = useI18n();
  const { message, modal } = App.useApp();
  const [form] = Form.useForm<{ answer: string; suspend_contracts?: boolean }>();
  const suspend = Form.useWatch('suspend_contracts', form);
  return (
    <FormModal<{ answer: string; suspend_contracts?: boolean }>
      title={t(`oversight.act.${decision}Title`)}
      form={form}
      okText={t(`oversight.act.${decision}`)}
      okTestId="complaint-decide-submit"
      submitOnEnter={false}
      onClose={onClose}
      initialValues={{ answer: '', suspend_contracts: false }}
      intro={
        <Typography.Paragraph>
          {t('oversight.act.about', { round: c.round_name, lot: t('buyer.contract.lotN', { n: c.lot_number }), generic: c.generic_name, supplier: c.supplier_name })}
        </Typography.Paragraph>
      }
      onSubmit={async (v) => {
        const suspending = decision === 'uphold' && !!v.suspend_contracts;
        if (suspending) {
          const ok = await modal.confirm({
            title: t('oversight.act.suspendConfirmTitle'),
            content: t('oversight.act.suspendConfirmText', { generic: c.generic_name }),
            okText: t('oversight.act.suspendConfirmOk'),
            okButtonProps: { danger: true },
            cancelText: t('common.cancel'),
          });
          if (!ok) return;
        }
        const next = await must(
          api.POST('/api/v1/complaints/{id}/actions', {
            params: { path: { id: c.id } },
            body: { action: decision, answer: v.answer.trim(), suspend_contracts: suspending },
          }),
        );
        message.success(
          decision === 'uphold'
            ? next.suspended_contracts > 0
              ? t('oversight.act.upheldSuspended', { n: next.suspended_contracts })
              : t('oversight.act.upheld')
            : t('oversight.act.dismissed'),
        );
        onDone(next);
      }}
    >
      <Form.Item
        name="answer"
        label={t('oversight.act.answer')}
        extra={t('oversight.act.answerHint')}
        rules={[{ required: true, whitespace: true, message: t('oversight.act.answerRequired') }, { max: MAX_TEXT }]}
      >
        <Input.TextArea rows={5} maxLength={MAX_TEXT} showCount data-testid="complaint-answer-input" />
      </Form.Item>
      {decision === 'uphold' && (
        <>
          <Form.Item name="suspend_contracts" valuePropName="checked" style={{ marginBottom: 8 }}>
            <Checkbox data-testid="complaint-suspend">{t('oversight.act.suspend')}</Checkbox>
          </Form.Item>
          <Alert
            type={suspend ? 'error' : 'warning'}
            showIcon
            message={t('oversight.act.suspendWarning', { generic: c.generic_name })}
            style={{ marginBottom: 16 }}
            data-testid="complaint-suspend-warning"
          />
        </>
      )}
    </FormModal>
  );
}

function SupplierActions({ complaint: c, onChanged }: { complaint: Complaint; onChanged: (c: Complaint) => void }) {
  const { t } = useI18n();
  const { run, busy } = useConfirmedStep(c, onChanged);
  const withdraw = () => run('withdraw', 'oversight.act.withdrawn', true);
  return (
    <Card size="small" title={t('oversight.act.title')}>
      <Space wrap>
        <Button danger onClick={withdraw} loading={busy} data-testid="complaint-withdraw">
          {t('oversight.act.withdraw')}
        </Button>
        <Typography.Text type="secondary">{t('oversight.act.withdrawHint')}</Typography.Text>
      </Space>
    </Card>
  );
}

// ---------------------------------------------------------------------------------------
// a supplier's new complaint

/** The last day of a round's objection window (China's day of the award + the rule's days). */
function windowEnd(r: Round): string | null {
  if (!r.awarded_at) return null;
  const rules = r.rules as { oversight?: { objection_days?: number } } | null;
  const days = rules?.oversight?.objection_days ?? 7;
  return dayjs.utc(r.awarded_at).add(8, 'hour').add(days, 'day').format('YYYY-MM-DD');
}

type NewValues = { round_id: string; lot_id: string; grounds: string };

function NewComplaint({ rounds, onClose, onCreated }: { rounds: Round[]; onClose: () => void; onCreated: (c: Complaint) => void }) {
  const { t, has } = useI18n();
  const { message } = App.useApp();
  const [form] = Form.useForm<NewValues>();
  const roundId = Form.useWatch('round_id', form);
  const [lots, setLots] = useState<LotResult[] | null>(null);
  const [bidLots, setBidLots] = useState<Set<string>>(new Set());
  const [lotsError, setLotsError] = useState<string | null>(null);
  const round = rounds.find((r) => r.id === roundId);

  useEffect(() => {
    setLots(null);
    setBidLots(new Set());
    setLotsError(null);
    if (!roundId) return;
    let alive = true;
    must(api.GET('/api/v1/rounds/{id}/results', { params: { path: { id: roundId } } }))
      .then((r) => alive && setLots(r.lots))
      .catch((e) => {
        if (!alive) return;
        setLots([]);
        setLotsError(describe(t, has, e));
      });
    // the lots the supplier bid on (the only ones it may object to), to list them first
    must(api.GET('/api/v1/rounds/{id}/bids', { params: { path: { id: roundId }, query: { per_page: 200 } } }))
      .then((p) => alive && setBidLots(new Set(p.items.map((b) => b.lot_id))))
      .catch(() => undefined);
    return () => {
      alive = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [roundId]);

  const lotOptions = useMemo(
    () =>
      [...(lots ?? [])]
        .sort((a, b) => Number(bidLots.has(b.lot_id)) - Number(bidLots.has(a.lot_id)) || a.number - b.number)
        .map((l) => ({
          value: l.lot_id,
          label: `${t('buyer.contract.lotN', { n: l.number })} ${l.generic_name}${bidLots.has(l.lot_id) ? '' : ` (${t('oversight.complaint.notBid')})`}`,
        })),
    [lots, bidLots, t],
  );
  const end = round ? windowEnd(round) : null;

  return (
    <FormModal<NewValues>
      title={t('oversight.complaint.new')}
      form={form}
      okText={t('common.submit')}
      okTestId="complaint-submit"
      submitOnEnter={false}
      width="min(720px, 96vw)"
      onClose={onClose}
      intro={<Typography.Paragraph type="secondary">{t('oversight.complaint.newIntro')}</Typography.Paragraph>}
      codeFields={{
        results_not_published: 'round_id',
        objection_window_closed: 'round_id',
        lot_not_in_round: 'lot_id',
        complaint_not_bidder: 'lot_id',
        complaint_open: 'lot_id',
      }}
      onValuesChange={(changed: Partial<NewValues>) => {
        if ('round_id' in changed) form.setFieldValue('lot_id', undefined);
      }}
      onSubmit={async (v) => {
        const c = await must(
          api.POST('/api/v1/rounds/{id}/complaints', { params: { path: { id: v.round_id } }, body: { lot_id: v.lot_id, grounds: v.grounds.trim() } }),
        );
        message.success(t('oversight.complaint.submitted'));
        onCreated(c);
      }}
    >
      <Form.Item
        name="round_id"
        label={t('oversight.complaint.round')}
        rules={[{ required: true, message: t('oversight.complaint.pickRound') }]}
        extra={end ? t('oversight.complaint.windowEnds', { day: end }) : rounds.length === 0 ? t('oversight.complaint.noRounds') : undefined}
      >
        <FormSelect
          showSearch
          optionFilterProp="label"
          options={rounds.map((r) => ({ value: r.id, label: r.name }))}
          data-testid="complaint-round"
        />
      </Form.Item>
      <Form.Item
        name="lot_id"
        label={t('oversight.complaint.lot')}
        rules={[{ required: true, message: t('oversight.complaint.pickLot') }]}
        extra={lotsError ?? (roundId && lots && lots.length > 0 && bidLots.size === 0 ? t('oversight.complaint.noBids') : undefined)}
      >
        <FormSelect
          showSearch
          optionFilterProp="label"
          disabled={!roundId}
          loading={!!roundId && lots === null}
          options={lotOptions}
          data-testid="complaint-lot"
        />
      </Form.Item>
      <Form.Item
        name="grounds"
        label={t('oversight.complaint.grounds')}
        extra={t('oversight.complaint.groundsHint')}
        rules={[{ required: true, whitespace: true, message: t('oversight.complaint.groundsRequired') }, { max: MAX_TEXT }]}
      >
        <Input.TextArea rows={6} maxLength={MAX_TEXT} showCount data-testid="complaint-grounds-input" />
      </Form.Item>
    </FormModal>
  );
}
