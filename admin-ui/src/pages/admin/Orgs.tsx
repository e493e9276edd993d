// Organisations (机构): admins create, rename, suspend and reactivate them; auditors read.
// A supplier created or renamed is linked to the catalog items of its name at once.
import { PageContainer, type ProColumns } from '@ant-design/pro-components';
import { App, Button, Form, Input, Popconfirm, Select, Space } from 'antd';
import { PlusOutlined } from '@ant-design/icons';
import { useRef, useState } from 'react';
import { Link } from 'react-router';
import { api, must } from '../../api/client';
import { describe } from '../../api/problem';
import { useAuth } from '../../auth';
import { useI18n } from '../../i18n';
import FormModal from '../../components/FormModal';
import ServerTable from '../../components/ServerTable';
import { cst, provinceName, useProvinces } from '../../components/format';
import { ActiveTag, ORG_KINDS, PROVINCIAL, type Org, type OrgKind } from './adminShared';

export default function Orgs() {
  const { me } = useAuth();
  const { t, has, lang } = useI18n();
  const { message } = App.useApp();
  const provinces = useProvinces();
  const table = useRef<{ reload: () => void }>(null);
  const isAdmin = me?.role === 'admin';
  const [creating, setCreating] = useState(false);
  const [renaming, setRenaming] = useState<Org | null>(null);

  const setStatus = async (org: Org, status: Org['status']) => {
    try {
      await must(api.PATCH('/api/v1/orgs/{id}', { params: { path: { id: org.id } }, body: { status } }));
      message.success(t(status === 'suspended' ? 'admin.org.suspended' : 'admin.org.reactivated', { name: org.name }));
      table.current?.reload();
    } catch (e) {
      message.error(describe(t, has, e));
    }
  };

  const columns: ProColumns<Org>[] = [
    { title: t('common.name'), dataIndex: 'name', search: false, ellipsis: true, width: 280 },
    {
      title: t('admin.org.kind'),
      dataIndex: 'kind',
      valueType: 'select',
      valueEnum: Object.fromEntries(ORG_KINDS.map((k) => [k, { text: t(`admin.kind.${k}`) }])),
      render: (_, o) => t(`admin.kind.${o.kind}`),
    },
    { title: t('common.province'), dataIndex: 'province', search: false, render: (_, o) => provinceName(provinces, o.province, lang) },
    {
      title: t('common.status'),
      dataIndex: 'status',
      search: false,
      render: (_, o) => <ActiveTag active={o.status === 'active'} activeText={t('admin.org.active')} inactiveText={t('admin.org.suspendedTag')} />,
    },
    { title: t('common.created'), dataIndex: 'created_at', search: false, render: (_, o) => cst(o.created_at) },
    {
      title: t('common.actions'),
      search: false,
      fixed: 'right',
      render: (_, o) => (
        <Space size={4} wrap={false}>
          <Link to={`/admin/users?org_id=${o.id}`}>{t('admin.org.users')}</Link>
          {isAdmin && (
            <Button size="small" type="link" onClick={() => setRenaming(o)} data-testid={`org-rename-${o.id}`}>
              {t('admin.rename')}
            </Button>
          )}
          {isAdmin &&
            (o.status === 'active' ? (
              <Popconfirm
                title={t('admin.org.suspendConfirm', { name: o.name })}
                description={t('admin.org.suspendHelp')}
                okText={t('admin.org.suspend')}
                cancelText={t('common.cancel')}
                okButtonProps={{ danger: true }}
                onConfirm={() => setStatus(o, 'suspended')}
              >
                <Button size="small" type="link" danger data-testid={`org-suspend-${o.id}`}>
                  {t('admin.org.suspend')}
                </Button>
              </Popconfirm>
            ) : (
              <Popconfirm
                title={t('admin.org.reactivateConfirm', { name: o.name })}
                okText={t('admin.org.reactivate')}
                cancelText={t('common.cancel')}
                onConfirm={() => setStatus(o, 'active')}
              >
                <Button size="small" type="link" data-testid={`org-reactivate-${o.id}`}>
                  {t('admin.org.reactivate')}
                </Button>
              </Popconfirm>
            ))}
        </Space>
      ),
    },
  ];

  return (
    <PageContainer title={t('menu.orgs')}>
      <ServerTable<Org>
        path="/api/v1/orgs"
        rowKey="id"
        columns={columns}
        tableRef={table}
        toolbar={
          isAdmin
            ? [
                <Button key="new" type="primary" icon={<PlusOutlined />} onClick={() => setCreating(true)} data-testid="org-create">
                  {t('admin.org.create')}
                </Button>,
              ]
            : undefined
        }
      />
      {creating && (
        <CreateOrg
          onClose={() => setCreating(false)}
          onDone={(o) => {
            setCreating(false);
            message.success(t('admin.org.created', { name: o.name }));
            table.current?.reload();
          }}
        />
      )}
      {renaming && (
        <RenameOrg
          org={renaming}
          onClose={() => setRenaming(null)}
          onDone={() => {
            setRenaming(null);
            message.success(t('common.done'));
            table.current?.reload();
          }}
        />
      )}
    </PageContainer>
  );
}

interface OrgForm {
  name: string;
  kind: OrgKind;
  province?: string;
}

function CreateOrg({ onClose, onDone }: { onClose: () => void; onDone: (o: Org) => void }) {
  const { t, lang } = useI18n();
  const provinces = useProvinces();
  const [form] = Form.useForm<OrgForm>();
  const kind = Form.useWatch('kind', form);
  const needsProvince = !!kind && PROVINCIAL.includes(kind);
  return (
    <FormModal<OrgForm>
      title={t('admin.org.create')}
      form={form}
      okTestId="org-submit"
      onClose={onClose}
      codeFields={{ org_name_taken: 'name' }}
      onSubmit={async (v) => {
        const o = await must(
          api.POST('/api/v1/orgs', { body: { name: v.name.trim(), kind: v.kind, province: v.province || undefined } }),
        );
        onDone(o);
      }}
    >
      <Form.Item
        name="name"
        label={t('common.name')}
        rules={[
          { required: true, whitespace: true, message: t('admin.nameRequired') },
          { max: 200, message: t('admin.nameMax') },
        ]}
        extra={kind === 'supplier' ? t('admin.org.supplierHelp') : undefined}
      >
        <Input maxLength={200} data-testid="org-name" />
      </Form.Item>
      <Form.Item name="kind" label={t('admin.org.kind')} rules={[{ required: true, message: t('admin.org.kindRequired') }]}>
        <Select options={ORG_KINDS.map((k) => ({ value: k, label: t(`admin.kind.${k}`) }))} data-testid="org-kind" />
      </Form.Item>
      <Form.Item
        name="province"
        label={t('common.province')}
        rules={needsProvince ? [{ required: true, message: t('admin.org.provinceRequired') }] : []}
        extra={needsProvince ? t('admin.org.provinceHelp') : t('admin.org.provinceOptional')}
      >
        <Select
          allowClear
          showSearch
          optionFilterProp="label"
          options={provinces.map((p) => ({ value: p.code, label: lang === 'zh' ? p.name_zh : p.name_en }))}
          data-testid="org-province"
        />
      </Form.Item>
    </FormModal>
  );
}

function RenameOrg({ org, onClose, onDone }: { org: Org; onClose: () => void; onDone: () => void }) {
  const { t } = useI18n();
  const [form] = Form.useForm<{ name: string }>();
  return (
    <FormModal<{ name: string }>
      title={t('admin.org.renameTitle')}
      form={form}
      okTestId="org-rename-submit"
      onClose={onClose}
      codeFields={{ org_name_taken: 'name' }}
      initialValues={{ name: org.name }}
      onSubmit={async (v) => {
        await must(api.PATCH('/api/v1/orgs/{id}', { params: { path: { id: org.id } }, body: { name: v.name.trim() } }));
        onDone();
      }}
    >
      <Form.Item
        name="name"
        label={t('common.name')}
        rules={[
          { required: true, whitespace: true, message: t('admin.nameRequired') },
          { max: 200, message: t('admin.nameMax') },
        ]}
        extra={org.kind === 'supplier' ? t('admin.org.supplierRenameHelp') : undefined}
      >
        <Input maxLength={200} />
      </Form.Item>
    </FormModal>
  );
}
