// The audit log (审计日志), newest first, for auditors: every state change with its actor,
// filtered by action, entity and actor, each entry's details on demand; and the check of the
// hash chain that seals the log (intact, or the first entry that breaks it).
import { PageContainer, type ProColumns } from '@ant-design/pro-components';
import { Alert, App, Button, Card, Descriptions, Space, Tag, Typography } from 'antd';
import { CheckCircleFilled, CloseCircleFilled, SafetyCertificateOutlined } from '@ant-design/icons';
import { useMemo, useState } from 'react';
import { api, must, type Schemas } from '../../api/client';
import { describe } from '../../api/problem';
import { useI18n } from '../../i18n';
import ServerTable from '../../components/ServerTable';
import { cst } from '../../components/format';
import { useAllUsers } from './adminShared';

type Entry = Schemas['Entry'] & { seq?: number | null };
type Report = Schemas['VerifyReport'];

export default function Audit() {
  const { t, has } = useI18n();
  const { message } = App.useApp();
  const users = useAllUsers();
  const byId = useMemo(() => new Map(users.map((u) => [u.id, u])), [users]);
  const [report, setReport] = useState<Report | null>(null);
  const [verifying, setVerifying] = useState(false);

  const verify = async () => {
    setVerifying(true);
    try {
      setReport(await must(api.GET('/api/v1/audit/verify')));
    } catch (e) {
      message.error(describe(t, has, e));
    } finally {
      setVerifying(false);
    }
  };

  const columns: ProColumns<Entry>[] = [
    { title: t('admin.audit.seq'), dataIndex: 'seq', search: false, render: (_, e) => e.seq ?? <Tag>{t('admin.audit.unsealed')}</Tag> },
    { title: t('admin.audit.at'), dataIndex: 'at', search: false, render: (_, e) => cst(e.at) },
    {
      title: t('admin.audit.action'),
      dataIndex: 'action',
      fieldProps: { placeholder: 'round.publish', maxLength: 64 },
      render: (_, e) => <Typography.Text code>{e.action}</Typography.Text>,
    },
    {
      title: t('admin.audit.entityType'),
      dataIndex: 'entity_type',
      fieldProps: { placeholder: 'round', maxLength: 64 },
    },
    {
      title: t('admin.audit.entityId'),
      dataIndex: 'entity_id',
      fieldProps: { maxLength: 200 },
      render: (_, e) => (
        <Typography.Text copyable={{ text: e.entity_id }} ellipsis style={{ maxWidth: 160 }}>
          {e.entity_id}
        </Typography.Text>
      ),
    },
    {
      title: t('admin.audit.actor'),
      dataIndex: 'actor_user_id',
      valueType: 'select',
      fieldProps: {
        showSearch: true,
        optionFilterProp: 'label',
        options: users.map((u) => ({ value: u.id, label: `${u.email} (${t(`role.${u.role}`)})` })),
        style: { minWidth: 220 },
      },
      render: (_, e) => {
        if (!e.actor_user_id) return <Tag>{t('admin.audit.system')}</Tag>;
        const u = byId.get(e.actor_user_id);
        return (
          <Space size={4} wrap>
            <span>{u ? u.email : e.actor_user_id.slice(0, 8)}</span>
            {e.actor_role && <Tag>{has(`role.${e.actor_role}`) ? t(`role.${e.actor_role}`) : e.actor_role}</Tag>}
          </Space>
        );
      },
    },
  ];

  return (
    <PageContainer title={t('menu.audit')} content={t('admin.audit.intro')}>
      <Space direction="vertical" size="middle" style={{ width: '100%' }}>
        <Card size="small">
          <Space direction="vertical" style={{ width: '100%' }}>
            <Space wrap>
              <Button type="primary" icon={<SafetyCertificateOutlined />} loading={verifying} onClick={verify} data-testid="audit-verify">
                {t('admin.audit.verify')}
              </Button>
              <Typography.Text type="secondary">{t('admin.audit.verifyHelp')}</Typography.Text>
            </Space>
            {report && <VerifyResult report={report} />}
          </Space>
        </Card>
        <ServerTable<Entry>
          path="/api/v1/audit"
          rowKey="id"
          columns={columns}
          expandable={{
            expandedRowRender: (e) => (
              <Descriptions size="small" column={1} bordered>
                <Descriptions.Item label={t('admin.audit.entryId')}>{e.id}</Descriptions.Item>
                <Descriptions.Item label={t('admin.audit.txid')}>{e.txid}</Descriptions.Item>
                {e.actor_user_id && <Descriptions.Item label={t('admin.audit.actorId')}>{e.actor_user_id}</Descriptions.Item>}
                <Descriptions.Item label={t('admin.audit.details')}>
                  <pre style={{ margin: 0, whiteSpace: 'pre-wrap', wordBreak: 'break-all', maxWidth: '100%' }}>
                    {JSON.stringify(e.details, null, 2)}
                  </pre>
                </Descriptions.Item>
              </Descriptions>
            ),
          }}
        />
      </Space>
    </PageContainer>
  );
}

function VerifyResult({ report }: { report: Report }) {
  const { t } = useI18n();
  const b = report.first_break;
  return (
    <Alert
      data-testid="audit-verify-result"
      data-intact={String(report.intact)}
      type={report.intact ? 'success' : 'error'}
      showIcon
      icon={report.intact ? <CheckCircleFilled /> : <CloseCircleFilled />}
      message={
        <Typography.Title level={4} style={{ margin: 0 }}>
          {report.intact ? t('admin.audit.intact') : t('admin.audit.broken')}
        </Typography.Title>
      }
      description={
        <Space direction="vertical" size={4} style={{ width: '100%' }}>
          <span>{t('admin.audit.checked', { checked: report.checked, unsealed: report.unsealed })}</span>
          {b && (
            <Typography.Text strong data-testid="audit-first-break">
              {t('admin.audit.firstBreak', { seq: b.seq, entry: b.entry_id ?? t('admin.audit.entryGone'), reason: b.reason })}
            </Typography.Text>
          )}
          {report.head_hash && (
            <span style={{ wordBreak: 'break-all' }}>
              {t('admin.audit.head')}: <Typography.Text code copyable>{report.head_hash}</Typography.Text>
            </span>
          )}
        </Space>
      }
    />
  );
}
