// Users (用户): admins create them (a password generated when none is given, shown once),
// rename, deactivate or reactivate them and reset passwords; auditors read.
import { PageContainer, type ProColumns } from '@ant-design/pro-components';
import { App, Button, Form, Input, Popconfirm, Select, Space } from 'antd';
import { PlusOutlined } from '@ant-design/icons';
import { useMemo, useRef, useState } from 'react';
import { useSearchParams } from 'react-router';
import { api, must } from '../../api/client';
import { describe } from '../../api/problem';
import { useAuth } from '../../auth';
import { useI18n } from '../../i18n';
import FormModal from '../../components/FormModal';
import ServerTable from '../../components/ServerTable';
import { cst, provinceName, useProvinces } from '../../components/format';
import { ActiveTag, generatePassword, KIND_OF_ROLE, PasswordOnce, ROLES, useAllOrgs, type Org, type Role, type User } from './adminShared';

export default function Users() {
  const { me } = useAuth();
  const { t, has, lang } = useI18n();
  const { message } = App.useApp();
  const provinces = useProvinces();
  const [search] = useSearchParams();
  const { orgs } = useAllOrgs();
  const table = useRef<{ reload: () => void }>(null);
  const isAdmin = me?.role === 'admin';
  const [creating, setCreating] = useState(false);
  const [renaming, setRenaming] = useState<User | null>(null);
  const [shown, setShown] = useState<{ email: string; password: string } | null>(null);

  const orgOptions = useMemo(() => orgs.map((o) => ({ value: o.id, label: o.name })), [orgs]);

  const patch = async (u: User, body: { active?: boolean; password?: string }) => {
    await must(api.PATCH('/api/v1/users/{id}', { params: { path: { id: u.id } }, body }));
    table.current?.reload();
  };
  const setActive = async (u: User, active: boolean) => {
    try {
      await patch(u, { active });
      message.success(t(active ? 'admin.user.reactivated' : 'admin.user.deactivated', { email: u.email }));
    } catch (e) {
      message.error(describe(t, has, e));
    }
  };
  const resetPassword = async (u: User) => {
    const password = generatePassword();
    try {
      await patch(u, { password });
      setShown({ email: u.email, password });
    } catch (e) {
      message.error(describe(t, has, e));
    }
  };

  const columns: ProColumns<User>[] = [
    { title: t('admin.user.email'), dataIndex: 'email', search: false, copyable: true },
    { title: t('admin.user.name'), dataIndex: 'display_name', search: false, ellipsis: true, width: 180 },
    {
      title: t('admin.user.role'),
      dataIndex: 'role',
      valueType: 'select',
      valueEnum: Object.fromEntries(ROLES.map((r) => [r, { text: t(`role.${r}`) }])),
      render: (_, u) => t(`role.${u.role}`),
    },
    {
      title: t('user.org'),
      dataIndex: 'org_id',
      valueType: 'select',
      initialValue: search.get('org_id') ?? undefined,
      fieldProps: { showSearch: true, optionFilterProp: 'label', options: orgOptions, style: { minWidth: 200 } },
      render: (_, u) => u.org_name,
      ellipsis: true,
      width: 260,
    },
    { title: t('common.province'), dataIndex: 'province', search: false, render: (_, u) => provinceName(provinces, u.province, lang) },
    {
      title: t('common.status'),
      dataIndex: 'active',
      search: false,
      render: (_, u) => <ActiveTag active={u.active} activeText={t('admin.user.active')} inactiveText={t('admin.user.inactive')} />,
    },
    { title: t('common.created'), dataIndex: 'created_at', search: false, render: (_, u) => cst(u.created_at) },
    ...(isAdmin
      ? [
          {
            title: t('common.actions'),
            search: false as const,
            fixed: 'right' as const,
            render: (_: unknown, u: User) => (
              <Space size={0} wrap={false}>
                <Button size="small" type="link" onClick={() => setRenaming(u)} data-testid={`user-rename-${u.id}`}>
                  {t('admin.rename')}
                </Button>
                <Popconfirm
                  title={t('admin.user.resetConfirm', { email: u.email })}
                  description={t('admin.user.resetHelp')}
                  okText={t('admin.user.reset')}
                  cancelText={t('common.cancel')}
                  onConfirm={() => resetPassword(u)}
                >
                  <Button size="small" type="link" data-testid={`user-reset-${u.id}`}>
                    {t('admin.user.reset')}
                  </Button>
                </Popconfirm>
                {u.active ? (
                  <Popconfirm
                    title={t('admin.user.deactivateConfirm', { email: u.email })}
                    description={t('admin.user.deactivateHelp')}
                    okText={t('admin.user.deactivate')}
                    okButtonProps={{ danger: true }}
                    cancelText={t('common.cancel')}
                    onConfirm={() => setActive(u, false)}
                    disabled={u.id === me?.id}
                  >
                    <Button size="small" type="link" danger disabled={u.id === me?.id} data-testid={`user-deactivate-${u.id}`}>
                      {t('admin.user.deactivate')}
                    </Button>
                  </Popconfirm>
                ) : (
                  <Popconfirm
                    title={t('admin.user.reactivateConfirm', { email: u.email })}
                    okText={t('admin.user.reactivate')}
                    cancelText={t('common.cancel')}
                    onConfirm={() => setActive(u, true)}
                  >
                    <Button size="small" type="link" data-testid={`user-reactivate-${u.id}`}>
                      {t('admin.user.reactivate')}
                    </Button>
                  </Popconfirm>
                )}
              </Space>
            ),
          },
        ]
      : []),
  ];

  return (
    <PageContainer title={t('menu.users')}>
      <ServerTable<User>
        path="/api/v1/users"
        rowKey="id"
        columns={columns}
        tableRef={table}
        toolbar={
          isAdmin
            ? [
                <Button key="new" type="primary" icon={<PlusOutlined />} onClick={() => setCreating(true)} data-testid="user-create">
                  {t('admin.user.create')}
                </Button>,
              ]
            : undefined
        }
      />
      {creating && (
        <CreateUser
          orgs={orgs}
          onClose={() => setCreating(false)}
          onDone={(email, password) => {
            setCreating(false);
            message.success(t('admin.user.created', { email }));
            if (password) setShown({ email, password });
            table.current?.reload();
          }}
        />
      )}
      {renaming && (
        <RenameUser
          user={renaming}
          onClose={() => setRenaming(null)}
          onDone={() => {
            setRenaming(null);
            message.success(t('common.done'));
            table.current?.reload();
          }}
        />
      )}
      {shown && <PasswordOnce email={shown.email} password={shown.password} onClose={() => setShown(null)} />}
    </PageContainer>
  );
}

interface UserForm {
  email: string;
  display_name?: string;
  role: Role;
  org_id: string;
  password?: string;
}

function CreateUser({ orgs, onClose, onDone }: { orgs: Org[]; onClose: () => void; onDone: (email: string, password?: string) => void }) {
  const { t } = useI18n();
  const [form] = Form.useForm<UserForm>();
  const role = Form.useWatch('role', form);
  const choices = useMemo(
    () =>
      orgs
        .filter((o) => !role || o.kind === KIND_OF_ROLE[role])
        .map((o) => ({ value: o.id, label: o.status === 'active' ? o.name : `${o.name} (${t('admin.org.suspendedTag')})` })),
    [orgs, role, t],
  );
  return (
    <FormModal<UserForm>
      title={t('admin.user.create')}
      form={form}
      okTestId="user-submit"
      onClose={onClose}
      codeFields={{ email_taken: 'email' }}
      onValuesChange={(changed: Partial<UserForm>) => {
        if ('role' in changed) form.setFieldValue('org_id', undefined);
      }}
      onSubmit={async (v) => {
        const created = await must(
          api.POST('/api/v1/users', {
            body: {
              email: v.email.trim(),
              display_name: v.display_name?.trim() ?? '',
              role: v.role,
              org_id: v.org_id,
              password: v.password ? v.password : undefined,
            },
          }),
        );
        const initial = (created as { initial_password?: string | null }).initial_password ?? undefined;
        onDone(created.email, initial);
      }}
    >
      <Form.Item
        name="email"
        label={t('admin.user.email')}
        rules={[
          { required: true, message: t('admin.user.emailRequired') },
          { type: 'email', message: t('admin.user.emailInvalid') },
          { max: 254, message: t('admin.user.emailInvalid') },
        ]}
      >
        <Input autoComplete="off" data-testid="user-email" />
      </Form.Item>
      <Form.Item name="display_name" label={t('admin.user.name')} rules={[{ max: 200, message: t('admin.nameMax') }]}>
        <Input maxLength={200} data-testid="user-name" />
      </Form.Item>
      <Form.Item name="role" label={t('admin.user.role')} rules={[{ required: true, message: t('admin.user.roleRequired') }]}>
        <Select options={ROLES.map((r) => ({ value: r, label: t(`role.${r}`) }))} data-testid="user-role" />
      </Form.Item>
      <Form.Item
        name="org_id"
        label={t('user.org')}
        rules={[{ required: true, message: t('admin.user.orgRequired') }]}
        extra={role ? t('admin.user.orgHelp', { kind: t(`admin.kind.${KIND_OF_ROLE[role]}`) }) : t('admin.user.orgPickRole')}
      >
        <Select showSearch optionFilterProp="label" options={choices} disabled={!role} data-testid="user-org" />
      </Form.Item>
      <Form.Item
        name="password"
        label={t('admin.user.password')}
        extra={t('admin.user.passwordHelp')}
        rules={[
          { min: 12, message: t('admin.user.passwordMin') },
          { max: 256, message: t('admin.user.passwordMax') },
        ]}
      >
        <Input.Password autoComplete="new-password" data-testid="user-password" />
      </Form.Item>
    </FormModal>
  );
}

function RenameUser({ user, onClose, onDone }: { user: User; onClose: () => void; onDone: () => void }) {
  const { t } = useI18n();
  const [form] = Form.useForm<{ display_name: string }>();
  return (
    <FormModal<{ display_name: string }>
      title={t('admin.user.renameTitle', { email: user.email })}
      form={form}
      okTestId="user-rename-submit"
      onClose={onClose}
      initialValues={{ display_name: user.display_name }}
      onSubmit={async (v) => {
        await must(api.PATCH('/api/v1/users/{id}', { params: { path: { id: user.id } }, body: { display_name: v.display_name.trim() } }));
        onDone();
      }}
    >
      <Form.Item name="display_name" label={t('admin.user.name')} rules={[{ max: 200, message: t('admin.nameMax') }]}>
        <Input maxLength={200} />
      </Form.Item>
    </FormModal>
  );
}
