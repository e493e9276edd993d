// Contracts (采购协议) of the awarded rounds: each party sees its own; a drawer shows one
// contract with the hospitals' quotas, and the actions of the caller's role: a provincial
// centre moves quota between its hospitals, a supplier names its distributor, an officer
// records a supply failure, a hospital reports a shortage.
import { useEffect, useRef, useState } from 'react';
import { PageContainer, type ProColumns } from '@ant-design/pro-components';
import { Alert, App, Button, Card, Descriptions, Drawer, Form, Input, InputNumber, Space, Table, Tag, Typography } from 'antd';
import { Link } from 'react-router';
import { api, getJson, must, type Page, type Schemas } from '../../api/client';
import { useAuth } from '../../auth';
import ServerTable from '../../components/ServerTable';
import { cst, money, provinceName, useProvinces } from '../../components/format';
import Loading from '../../components/Loading';
import { useI18n } from '../../i18n';
import { ShortageButton, SupplyFailureButton } from './ContractActions';
import FormSelect from '../../components/FormSelect';
import {
  CONTRACT_STATUSES,
  explain,
  formProblem,
  hospitalLookup,
  primeContracts,
  StatusTag,
  statusEnum,
  units,
  useAwardedRounds,
  type Contract,
} from './shared';

type Quotas = Schemas['QuotasDto'];
const PROVINCE_SCOPED = ['provincial_buyer', 'insurer', 'hospital'];
const ORDER_READERS = ['hospital', 'provincial_buyer', 'insurer', 'supplier', 'distributor', 'procurement_officer', 'auditor', 'admin'];

export default function Contracts() {
  const { me } = useAuth();
  const { t, lang } = useI18n();
  const provinces = useProvinces();
  const rounds = useAwardedRounds();
  const role = me?.role ?? 'hospital';
  const table = useRef<{ reload: () => void }>(null);
  const [open, setOpen] = useState<Contract | null>(null);

  const columns: ProColumns<Contract>[] = [
    {
      title: t('buyer.contract.round'),
      dataIndex: 'round_id',
      valueType: 'select',
      fieldProps: { options: rounds.map((r) => ({ value: r.id, label: r.name })), showSearch: true, optionFilterProp: 'label' },
      render: (_, c) => (
        <Typography.Text ellipsis style={{ maxWidth: 220 }} title={c.round_name}>
          {c.round_name}
        </Typography.Text>
      ),
    },
    {
      title: t('buyer.contract.lot'),
      dataIndex: 'generic_name',
      search: false,
      render: (_, c) => {
        primeContracts([c]);
        return (
          <span>
            <Typography.Text type="secondary">{t('buyer.contract.lotN', { n: c.lot_number })}</Typography.Text> {c.generic_name}
          </span>
        );
      },
    },
    {
      title: t('buyer.supplier'),
      dataIndex: 'supplier_name',
      search: false,
      render: (_, c) => (
        <span>
          {c.supplier_name} <Tag>{t('buyer.contract.rankN', { n: c.rank })}</Tag>
        </span>
      ),
    },
    {
      title: t('common.province'),
      dataIndex: 'province',
      valueType: 'select',
      search: PROVINCE_SCOPED.includes(role) ? false : undefined,
      fieldProps: {
        options: provinces.map((p) => ({ value: p.code, label: lang === 'zh' ? p.name_zh : p.name_en })),
        showSearch: true,
        optionFilterProp: 'label',
      },
      render: (_, c) => provinceName(provinces, c.province, lang),
    },
    { title: t('buyer.contract.unitPrice'), dataIndex: 'unit_price', search: false, align: 'right', render: (_, c) => money(c.unit_price) },
    { title: t('buyer.contract.agreedVolume'), dataIndex: 'agreed_volume', search: false, align: 'right', render: (_, c) => units(c.agreed_volume) },
    { title: t('buyer.contract.annualAmount'), dataIndex: 'annual_amount', search: false, align: 'right', render: (_, c) => money(c.annual_amount) },
    { title: t('buyer.contract.cycle'), dataIndex: 'cycle_start', search: false, render: (_, c) => `${c.cycle_start} ~ ${c.cycle_end}` },
    {
      title: t('buyer.contract.backup'),
      dataIndex: 'backup',
      search: false,
      render: (_, c) => (c.backup ? `${c.backup.supplier_name} · ${money(c.backup.unit_price)}` : t('common.none')),
    },
    {
      title: t('common.status'),
      dataIndex: 'status',
      valueType: 'select',
      valueEnum: statusEnum(t, 'contract', CONTRACT_STATUSES),
      render: (_, c) => <StatusTag kind="contract" status={c.status} />,
    },
    {
      title: t('common.actions'),
      search: false,
      fixed: 'right',
      render: (_, c) => (
        <Space wrap size="small">
          <Button size="small" type="link" onClick={() => setOpen(c)} data-testid={`contract-detail-${c.id}`}>
            {t('common.details')}
          </Button>
          {ORDER_READERS.includes(role) && <Link to={`/orders?contract_id=${c.id}`}>{t('menu.orders')}</Link>}
          {role === 'hospital' && c.status === 'active' && <ShortageButton contract={c} />}
        </Space>
      ),
    },
  ];

  return (
    <PageContainer title={t('menu.contracts')} content={t(`buyer.contract.intro.${role}`)}>
      <ServerTable<Contract> path="/api/v1/contracts" rowKey="id" columns={columns} tableRef={table} />
      <ContractDrawer
        contract={open}
        onClose={() => setOpen(null)}
        onChanged={() => {
          setOpen(null);
          table.current?.reload();
        }}
      />
    </PageContainer>
  );
}

function ContractDrawer({ contract, onClose, onChanged }: { contract: Contract | null; onClose: () => void; onChanged: () => void }) {
  const { me } = useAuth();
  const { t, lang } = useI18n();
  const provinces = useProvinces();
  const role = me?.role;
  const c = contract;
  return (
    <Drawer open={!!c} onClose={onClose} width="min(860px, 100vw)" title={c ? `${c.generic_name} · ${c.supplier_name}` : ''} destroyOnHidden>
      {c && (
        <Space direction="vertical" size="large" style={{ width: '100%' }}>
          <Descriptions size="small" bordered column={{ xs: 1, sm: 2, md: 2, lg: 2, xl: 2, xxl: 2 }}>
            <Descriptions.Item label={t('buyer.contract.round')} span={2}>
              {c.round_name}
            </Descriptions.Item>
            <Descriptions.Item label={t('buyer.contract.lot')}>
              {t('buyer.contract.lotN', { n: c.lot_number })} {c.generic_name}
            </Descriptions.Item>
            <Descriptions.Item label={t('buyer.contract.product')}>
              <Typography.Text code>{c.product_code}</Typography.Text>
            </Descriptions.Item>
            <Descriptions.Item label={t('buyer.supplier')}>
              {c.supplier_name} <Tag>{t('buyer.contract.rankN', { n: c.rank })}</Tag>
            </Descriptions.Item>
            <Descriptions.Item label={t('common.province')}>{provinceName(provinces, c.province, lang)}</Descriptions.Item>
            <Descriptions.Item label={t('buyer.contract.unitPrice')}>{money(c.unit_price)}</Descriptions.Item>
            <Descriptions.Item label={t('buyer.contract.annualDemand')}>{units(c.annual_demand)}</Descriptions.Item>
            <Descriptions.Item label={t('buyer.contract.agreedVolume')}>{units(c.agreed_volume)}</Descriptions.Item>
            <Descriptions.Item label={t('buyer.contract.annualAmount')}>{money(c.annual_amount)}</Descriptions.Item>
            <Descriptions.Item label={t('buyer.contract.cycle')}>
              {c.cycle_start} ~ {c.cycle_end}
            </Descriptions.Item>
            <Descriptions.Item label={t('common.status')}>
              <StatusTag kind="contract" status={c.status} />
              {c.ended_at && <Typography.Text type="secondary"> {cst(c.ended_at)}</Typography.Text>}
            </Descriptions.Item>
            <Descriptions.Item label={t('buyer.contract.backup')} span={2}>
              {c.backup
                ? `${c.backup.supplier_name} · ${t('buyer.contract.rankN', { n: c.backup.rank })} · ${money(c.backup.unit_price)}`
                : t('common.none')}
            </Descriptions.Item>
            {c.replaces && (
              <Descriptions.Item label={t('buyer.contract.replaces')} span={2}>
                <Typography.Text code>{c.replaces}</Typography.Text>
              </Descriptions.Item>
            )}
          </Descriptions>
          {(role === 'procurement_officer' || role === 'hospital') && c.status === 'active' && (
            <Space wrap>
              {role === 'procurement_officer' && <SupplyFailureButton contract={c} onDone={onChanged} />}
              {role === 'hospital' && <ShortageButton contract={c} />}
            </Space>
          )}
          {role !== 'distributor' && <QuotaSection contract={c} />}
          {role === 'supplier' && me?.org_id === c.supplier_org_id && c.status === 'active' && <DistributorForm contract={c} />}
        </Space>
      )}
    </Drawer>
  );
}

function QuotaSection({ contract }: { contract: Contract }) {
  const { me } = useAuth();
  const { t, has } = useI18n();
  const { message } = App.useApp();
  const [quotas, setQuotas] = useState<Quotas | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [formError, setFormError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [form] = Form.useForm<{ from_hospital_org_id: string; to_hospital_org_id: string; quantity: number }>();
  const from = Form.useWatch('from_hospital_org_id', form);
  useEffect(() => {
    let alive = true;
    must(api.GET('/api/v1/contracts/{id}/quotas', { params: { path: { id: contract.id } } }))
      .then((q) => {
        if (!alive) return;
        for (const row of q.quotas) hospitalLookup.prime(row.hospital_org_id, row.hospital_name);
        setQuotas(q);
      })
      .catch((e) => alive && setError(explain(t, has, e)));
    return () => {
      alive = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [contract.id]);
  const canMove = me?.role === 'provincial_buyer' && me.province === contract.province && contract.status === 'active';
  const giving = quotas?.quotas.find((q) => q.hospital_org_id === from);
  return (
    <Card size="small" title={t('buyer.quota.title')}>
      {error && <Alert type="error" message={error} />}
      {!quotas && !error && <Loading />}
      {quotas && (
        <>
          <Table
            size="small"
            rowKey="hospital_org_id"
            pagination={false}
            dataSource={quotas.quotas}
            scroll={{ x: 'max-content' }}
            locale={{ emptyText: t('buyer.quota.none') }}
            columns={[
              { title: t('buyer.hospital'), dataIndex: 'hospital_name' },
              { title: t('buyer.quota.demand'), dataIndex: 'demand', align: 'right', render: (v) => units(v as number) },
              { title: t('buyer.quota.quantity'), dataIndex: 'quantity', align: 'right', render: (v) => units(v as number) },
            ]}
          />
          <Typography.Paragraph type="secondary" style={{ marginTop: 8, marginBottom: 0 }}>
            {t('buyer.quota.total', { total: units(quotas.total), agreed: units(quotas.agreed_volume) })}
          </Typography.Paragraph>
          {canMove && quotas.quotas.length > 1 && (
            <Form
              form={form}
              layout="vertical"
              style={{ marginTop: 16 }}
              onFinish={async (v) => {
                setBusy(true);
                setFormError(null);
                try {
                  const q = await must(api.POST('/api/v1/contracts/{id}/quotas/transfer', { params: { path: { id: contract.id } }, body: v }));
                  setQuotas(q);
                  form.resetFields();
                  message.success(t('buyer.quota.moved'));
                } catch (e) {
                  setFormError(formProblem(t, has, form, e));
                } finally {
                  setBusy(false);
                }
              }}
            >
              <Typography.Title level={5}>{t('buyer.quota.move')}</Typography.Title>
              <Space wrap align="start" style={{ display: 'flex' }}>
                <Form.Item name="from_hospital_org_id" label={t('buyer.quota.from')} rules={[{ required: true }]}>
                  <FormSelect
                    style={{ width: 220 }}
                    options={quotas.quotas.filter((q) => q.quantity > 0).map((q) => ({ value: q.hospital_org_id, label: `${q.hospital_name} (${units(q.quantity)})` }))}
                    data-testid="quota-from"
                  />
                </Form.Item>
                <Form.Item
                  name="to_hospital_org_id"
                  label={t('buyer.quota.to')}
                  dependencies={['from_hospital_org_id']}
                  rules={[
                    { required: true },
                    ({ getFieldValue }) => ({
                      validator: (_, v) =>
                        v && v === getFieldValue('from_hospital_org_id') ? Promise.reject(new Error(t('buyer.quota.same'))) : Promise.resolve(),
                    }),
                  ]}
                >
                  <FormSelect
                    style={{ width: 220 }}
                    options={quotas.quotas.map((q) => ({ value: q.hospital_org_id, label: q.hospital_name, disabled: q.hospital_org_id === from }))}
                    data-testid="quota-to"
                  />
                </Form.Item>
                <Form.Item
                  name="quantity"
                  label={t('buyer.quota.units')}
                  rules={[{ required: true }]}
                  extra={giving ? t('buyer.quota.atMost', { n: units(giving.quantity) }) : undefined}
                >
                  <InputNumber min={1} max={giving?.quantity} precision={0} style={{ width: 160 }} data-testid="quota-qty" />
                </Form.Item>
              </Space>
              {formError && <Alert type="error" message={formError} style={{ marginBottom: 12 }} />}
              <div>
                <Button type="primary" htmlType="submit" loading={busy} data-testid="quota-transfer-submit">
                  {t('buyer.quota.submit')}
                </Button>
              </div>
            </Form>
          )}
        </>
      )}
    </Card>
  );
}

let distributorOrgs: Promise<Schemas['OrgDto'][] | null> | null = null;

function DistributorForm({ contract }: { contract: Contract }) {
  const { t, has } = useI18n();
  const { message } = App.useApp();
  const [orgs, setOrgs] = useState<Schemas['OrgDto'][] | null | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [named, setNamed] = useState<string | null | undefined>(undefined);
  const [form] = Form.useForm<{ distributor_org_id?: string }>();
  useEffect(() => {
    let alive = true;
    // the organisations list is for admins and auditors: a supplier then gives the id
    distributorOrgs ??= getJson<Page<Schemas['OrgDto']>>('/api/v1/orgs', { kind: 'distributor', per_page: 200 })
      .then((p) => p.items.filter((o) => o.status === 'active'))
      .catch(() => null);
    distributorOrgs.then((o) => alive && setOrgs(o));
    return () => {
      alive = false;
    };
  }, []);
  const save = async (id: string | null) => {
    setBusy(true);
    setError(null);
    try {
      const r = await must(api.PUT('/api/v1/contracts/{id}/distributor', { params: { path: { id: contract.id } }, body: { distributor_org_id: id } }));
      setNamed(r.distributor_org_id ?? null);
      message.success(r.distributor_org_id ? t('buyer.distributor.named') : t('buyer.distributor.cleared'));
    } catch (e) {
      setError(formProblem(t, has, form, e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Card size="small" title={t('buyer.distributor.title')}>
      <Typography.Paragraph type="secondary">{t('buyer.distributor.explain')}</Typography.Paragraph>
      {orgs === undefined ? (
        <Loading />
      ) : (
        <Form form={form} layout="vertical" onFinish={(v) => save(v.distributor_org_id?.trim() || null)}>
          <Form.Item
            name="distributor_org_id"
            label={t('buyer.distributor.org')}
            extra={orgs ? undefined : t('buyer.distributor.idHint')}
            rules={[
              { required: true },
              { pattern: /^\s*[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\s*$/, message: t('buyer.distributor.badId') },
            ]}
          >
            {orgs ? (
              <FormSelect showSearch optionFilterProp="label" options={orgs.map((o) => ({ value: o.id, label: o.name }))} data-testid="distributor-org" />
            ) : (
              <Input placeholder="00000000-0000-0000-0000-000000000000" data-testid="distributor-org" />
            )}
          </Form.Item>
          {error && <Alert type="error" message={error} style={{ marginBottom: 12 }} />}
          {named !== undefined && (
            <Alert
              type="success"
              style={{ marginBottom: 12 }}
              message={named ? t('buyer.distributor.now', { id: orgs?.find((o) => o.id === named)?.name ?? named }) : t('buyer.distributor.self')}
            />
          )}
          <Space wrap>
            <Button type="primary" htmlType="submit" loading={busy} data-testid="distributor-submit">
              {t('buyer.distributor.submit')}
            </Button>
            <Button onClick={() => save(null)} disabled={busy} data-testid="distributor-clear">
              {t('buyer.distributor.clear')}
            </Button>
          </Space>
        </Form>
      )}
    </Card>
  );
}
