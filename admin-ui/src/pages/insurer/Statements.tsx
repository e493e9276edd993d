// Monthly statements (对账单) of a supplier or a hospital: the month's accepted lines with
// their settlement state, the total, CSV for Excel (UTF-8 with BOM, or GBK); the supplier
// confirms the month or disputes a line. Insurers, auditors and admins pick the party.
import { PageContainer } from '@ant-design/pro-components';
import {
  Alert,
  App,
  Button,
  Card,
  DatePicker,
  Descriptions,
  Form,
  Input,
  Modal,
  Popconfirm,
  Radio,
  Select,
  Space,
  Table,
  Tag,
  Typography,
} from 'antd';
import { DownloadOutlined } from '@ant-design/icons';
import dayjs, { type Dayjs } from 'dayjs';
import { useCallback, useEffect, useState } from 'react';
import { download, getJson, sendJson, type Schemas } from '../../api/client';
import { useAuth } from '../../auth';
import { useI18n } from '../../i18n';
import { cst, money, provinceName, useProvinces } from '../../components/format';
import { useParties } from '../supplier/parties';
import { explain, LINE_STATES, LineState, thisMonth } from '../supplier/settlement';

type Line = Schemas['SettlementLineDto'];
type Confirmation = Schemas['ConfirmationDto'];
type Kind = 'supplier' | 'hospital';

interface Statement {
  party: { kind: Kind; org_id: string };
  month: string;
  province?: string | null;
  lines: Line[];
  line_count: number;
  total: string;
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const PATHS = {
  supplier: '/api/v1/settlements/statements/suppliers/{org_id}/{month}',
  hospital: '/api/v1/settlements/statements/hospitals/{org_id}/{month}',
} as const;

export default function Statements() {
  const { me } = useAuth();
  const { t, has, lang } = useI18n();
  const { message } = App.useApp();
  const provinces = useProvinces();
  const parties = useParties(me);
  const ownParty = me?.role === 'supplier' || me?.role === 'hospital';
  const [kind, setKind] = useState<Kind>(me?.role === 'hospital' ? 'hospital' : 'supplier');
  const [orgId, setOrgId] = useState<string>(ownParty ? (me?.org_id ?? '') : '');
  const [month, setMonth] = useState<string>(thisMonth());
  const [encoding, setEncoding] = useState<'utf-8' | 'gbk'>('utf-8');
  const [statement, setStatement] = useState<Statement | null>(null);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [confirmation, setConfirmation] = useState<Confirmation | null>(null);
  const [disputing, setDisputing] = useState<Line | null>(null);
  const [disputeForm] = Form.useForm<{ reason: string }>();
  const [busy, setBusy] = useState(false);

  const load = useCallback(
    async (k: Kind = kind, org: string = orgId, m: string = month) => {
      if (!UUID_RE.test(org.trim())) {
        setError(t('supplier.stmt.orgInvalid'));
        return;
      }
      setLoading(true);
      setError(null);
      setConfirmation(null);
      try {
        setStatement(await getJson<Statement>(PATHS[k], undefined, { org_id: org.trim(), month: m }));
      } catch (e) {
        setStatement(null);
        setError(explain(t, has, e));
      } finally {
        setLoading(false);
      }
    },
    [kind, orgId, month, t, has],
  );

  // a party's own statement of this month at once
  useEffect(() => {
    if (ownParty && me) load(me.role === 'hospital' ? 'hospital' : 'supplier', me.org_id, thisMonth());
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [me]);

  const shown = statement?.party.kind ?? kind;
  const canAct = me?.role === 'supplier' && statement?.party.kind === 'supplier' && statement.party.org_id === me.org_id;
  const options = (kind === 'supplier' ? parties.suppliers : parties.hospitals).map((p) => ({ value: p.id, label: p.name }));

  async function csv() {
    if (!statement) return;
    try {
      await download(
        PATHS[statement.party.kind],
        { org_id: statement.party.org_id, month: statement.month },
        { format: 'csv', encoding },
        `statement-${statement.party.kind}-${statement.month}${encoding === 'gbk' ? '-gbk' : ''}.csv`,
      );
    } catch (e) {
      message.error(explain(t, has, e));
    }
  }

  async function confirm() {
    if (!statement) return;
    setBusy(true);
    try {
      const c = await sendJson<Confirmation>(
        'POST',
        '/api/v1/settlements/statements/suppliers/{org_id}/{month}/confirm',
        { org_id: statement.party.org_id, month: statement.month },
      );
      setConfirmation(c);
      message.success(t('supplier.stmt.confirmedMsg'));
    } catch (e) {
      message.error(explain(t, has, e));
    } finally {
      setBusy(false);
    }
  }

  async function raiseDispute(v: { reason: string }) {
    if (!disputing) return;
    setBusy(true);
    try {
      await sendJson('POST', '/api/v1/settlements/disputes', undefined, {
        delivery_line_id: disputing.delivery_line_id,
        reason: v.reason.trim(),
      });
      message.success(t('supplier.stmt.disputed'));
      setDisputing(null);
      disputeForm.resetFields();
      await load(statement!.party.kind, statement!.party.org_id, statement!.month);
    } catch (e) {
      message.error(explain(t, has, e));
    } finally {
      setBusy(false);
    }
  }

  return (
    <PageContainer title={t('menu.statements')}>
      <Space direction="vertical" size="middle" style={{ width: '100%' }}>
        <Card>
          <Form layout="vertical" onFinish={() => load()}>
            <Space wrap align="end" size={[16, 0]}>
              {!ownParty && (
                <Form.Item label={t('supplier.stmt.partyKind')}>
                  <Radio.Group
                    value={kind}
                    onChange={(e) => {
                      setKind(e.target.value);
                      setOrgId('');
                    }}
                    optionType="button"
                    options={[
                      { value: 'supplier', label: t('supplier.stmt.kind.supplier') },
                      { value: 'hospital', label: t('supplier.stmt.kind.hospital') },
                    ]}
                  />
                </Form.Item>
              )}
              <Form.Item label={t('supplier.stmt.org')} htmlFor="stmt-org">
                {ownParty ? (
                  <Input id="stmt-org" value={me?.org_name} disabled style={{ width: 320, maxWidth: '100%' }} />
                ) : options.length > 0 ? (
                  <Select
                    id="stmt-org"
                    showSearch
                    optionFilterProp="label"
                    value={orgId || undefined}
                    onChange={setOrgId}
                    options={options}
                    loading={parties.loading}
                    placeholder={t('supplier.stmt.orgPick')}
                    style={{ width: 320, maxWidth: '100%' }}
                    data-testid="stmt-org"
                  />
                ) : (
                  <Input
                    id="stmt-org"
                    value={orgId}
                    onChange={(e) => setOrgId(e.target.value)}
                    placeholder={t('supplier.stmt.orgIdPlaceholder')}
                    autoComplete="off"
                    style={{ width: 320, maxWidth: '100%' }}
                    data-testid="stmt-org"
                  />
                )}
              </Form.Item>
              <Form.Item label={t('supplier.stmt.month')} htmlFor="stmt-month">
                <DatePicker
                  id="stmt-month"
                  picker="month"
                  allowClear={false}
                  value={dayjs(`${month}-01`)}
                  onChange={(d: Dayjs | null) => d && setMonth(d.format('YYYY-MM'))}
                  style={{ width: 160 }}
                  data-testid="stmt-month"
                />
              </Form.Item>
              <Form.Item>
                <Button type="primary" htmlType="submit" loading={loading} data-testid="stmt-load">
                  {t('common.search')}
                </Button>
              </Form.Item>
            </Space>
          </Form>
          {error && <Alert type="error" showIcon message={error} />}
        </Card>

        {statement && (
          <Card
            title={t('supplier.stmt.heading', { month: statement.month })}
            extra={
              <Space wrap>
                <Select
                  aria-label={t('supplier.stmt.encoding')}
                  value={encoding}
                  onChange={setEncoding}
                  style={{ width: 200 }}
                  options={[
                    { value: 'utf-8', label: t('supplier.stmt.utf8') },
                    { value: 'gbk', label: t('supplier.stmt.gbk') },
                  ]}
                />
                <Button icon={<DownloadOutlined />} onClick={csv} data-testid="stmt-download">
                  {t('supplier.stmt.download')}
                </Button>
                {canAct && (
                  <Popconfirm
                    title={t('supplier.stmt.confirmAsk', { month: statement.month, count: statement.line_count, total: money(statement.total) })}
                    okText={t('common.confirm')}
                    cancelText={t('common.cancel')}
                    onConfirm={confirm}
                  >
                    <Button type="primary" loading={busy} disabled={statement.line_count === 0 || !!confirmation} data-testid="stmt-confirm">
                      {t('supplier.stmt.confirm')}
                    </Button>
                  </Popconfirm>
                )}
              </Space>
            }
          >
            <Space direction="vertical" size="middle" style={{ width: '100%' }}>
              <Descriptions size="small" column={{ xs: 1, sm: 2, md: 4 }}>
                <Descriptions.Item label={t(`supplier.stmt.kind.${statement.party.kind}`)}>
                  {ownParty ? me?.org_name : (options.find((o) => o.value === statement.party.org_id)?.label ?? statement.party.org_id)}
                </Descriptions.Item>
                <Descriptions.Item label={t('common.province')}>
                  {statement.province ? provinceName(provinces, statement.province, lang) : t('supplier.stmt.allProvinces')}
                </Descriptions.Item>
                <Descriptions.Item label={t('supplier.stmt.lineCount')}>
                  <span data-testid="stmt-count">{statement.line_count}</span>
                </Descriptions.Item>
                <Descriptions.Item label={t('supplier.stmt.total')}>
                  <Typography.Text strong data-testid="stmt-total">
                    {money(statement.total)}
                  </Typography.Text>
                </Descriptions.Item>
              </Descriptions>
              {confirmation && (
                <Alert
                  type="success"
                  showIcon
                  data-testid="stmt-confirmed"
                  message={t('supplier.stmt.confirmed', {
                    count: confirmation.line_count,
                    total: money(confirmation.total),
                    at: cst(confirmation.confirmed_at),
                  })}
                />
              )}
              <Table<Line>
                rowKey="delivery_line_id"
                dataSource={statement.lines}
                size="middle"
                scroll={{ x: 'max-content' }}
                pagination={{ defaultPageSize: 20, showSizeChanger: true, pageSizeOptions: [10, 20, 50, 100], showTotal: (n) => t('common.total', { total: n }) }}
                locale={{ emptyText: t('supplier.stmt.empty') }}
                columns={[
                  { title: t('supplier.stmt.acceptedOn'), dataIndex: 'accepted_on', sorter: (a, b) => a.accepted_on.localeCompare(b.accepted_on) },
                  shown === 'supplier'
                    ? { title: t('supplier.stmt.hospital'), dataIndex: 'hospital_name', ellipsis: true, width: 220 }
                    : { title: t('supplier.stmt.supplier'), dataIndex: 'supplier_name', ellipsis: true, width: 220 },
                  { title: t('common.province'), dataIndex: 'province', render: (p: string) => provinceName(provinces, p, lang) },
                  { title: t('supplier.stmt.product'), dataIndex: 'product_code' },
                  { title: t('supplier.stmt.invoice'), dataIndex: 'invoice_no' },
                  { title: t('supplier.stmt.quantity'), dataIndex: 'quantity', align: 'right', render: (q: number) => q.toLocaleString() },
                  { title: t('supplier.stmt.unitPrice'), dataIndex: 'unit_price', align: 'right', render: (v: string) => money(v) },
                  { title: t('supplier.stmt.amount'), dataIndex: 'amount', align: 'right', render: (v: string) => money(v) },
                  { title: t('supplier.stmt.dueDate'), dataIndex: 'due_date' },
                  {
                    title: t('common.status'),
                    dataIndex: 'state',
                    filters: LINE_STATES.map((s) => ({ text: t(`supplier.stmt.state.${s}`), value: s })),
                    onFilter: (v, l) => l.state === v,
                    render: (_: unknown, l) => (
                      <Space size={4} wrap>
                        <LineState state={l.state} />
                        {l.overdue && <Tag color="red">{t('supplier.stmt.overdue')}</Tag>}
                      </Space>
                    ),
                  },
                  { title: t('supplier.stmt.bankRef'), dataIndex: 'bank_reference', render: (v?: string | null) => v || '—' },
                  ...(canAct
                    ? [
                        {
                          title: t('common.actions'),
                          key: 'actions',
                          render: (_: unknown, l: Line) =>
                            l.state === 'unsettled' || l.state === 'batched' ? (
                              <Button size="small" onClick={() => setDisputing(l)} disabled={!!confirmation} data-testid={`dispute-${l.delivery_line_id}`}>
                                {t('supplier.stmt.dispute')}
                              </Button>
                            ) : null,
                        },
                      ]
                    : []),
                ]}
              />
            </Space>
          </Card>
        )}
      </Space>
      <Modal
        open={!!disputing}
        title={t('supplier.stmt.disputeTitle')}
        okText={t('common.submit')}
        cancelText={t('common.cancel')}
        confirmLoading={busy}
        onOk={() => disputeForm.submit()}
        onCancel={() => setDisputing(null)}
        destroyOnHidden
      >
        {disputing && (
          <>
            <Descriptions size="small" column={1} style={{ marginBottom: 16 }}>
              <Descriptions.Item label={t('supplier.stmt.hospital')}>{disputing.hospital_name}</Descriptions.Item>
              <Descriptions.Item label={t('supplier.stmt.invoice')}>{disputing.invoice_no}</Descriptions.Item>
              <Descriptions.Item label={t('supplier.stmt.amount')}>{money(disputing.amount)}</Descriptions.Item>
            </Descriptions>
            <Form form={disputeForm} layout="vertical" onFinish={raiseDispute}>
              <Form.Item
                name="reason"
                label={t('supplier.stmt.reason')}
                rules={[
                  { required: true, whitespace: true, message: t('supplier.required') },
                  { max: 2000 },
                ]}
              >
                <Input.TextArea rows={4} maxLength={2000} showCount data-testid="dispute-reason" />
              </Form.Item>
            </Form>
          </>
        )}
      </Modal>
    </PageContainer>
  );
}
