// The job queue (任务队列): mail and scheduled work (overdue scans, bid closing...), with
// attempts and the last error; a dead job (out of attempts) can be put back in the queue.
import { PageContainer, type ProColumns } from '@ant-design/pro-components';
import { App, Button, Popconfirm, Space, Tag, Typography } from 'antd';
import { CheckCircleOutlined, ClockCircleOutlined, CloseCircleOutlined, RedoOutlined, SyncOutlined } from '@ant-design/icons';
import { useRef, type ReactNode } from 'react';
import { api, must, type Schemas } from '../../api/client';
import { describe } from '../../api/problem';
import { useI18n } from '../../i18n';
import ServerTable from '../../components/ServerTable';
import { cst } from '../../components/format';

type Job = Schemas['JobDto'];
const STATUSES = ['pending', 'running', 'done', 'dead'];
const LOOK: Record<string, { color: string; icon: ReactNode }> = {
  pending: { color: 'default', icon: <ClockCircleOutlined /> },
  running: { color: 'processing', icon: <SyncOutlined spin /> },
  done: { color: 'success', icon: <CheckCircleOutlined /> },
  dead: { color: 'error', icon: <CloseCircleOutlined /> },
};

export default function Jobs() {
  const { t, has } = useI18n();
  const { message } = App.useApp();
  const table = useRef<{ reload: () => void }>(null);

  const retry = async (job: Job) => {
    try {
      await must(api.POST('/api/v1/admin/jobs/{id}/retry', { params: { path: { id: job.id } } }));
      message.success(t('admin.job.retried', { id: job.id }));
      table.current?.reload();
    } catch (e) {
      message.error(describe(t, has, e));
    }
  };

  const columns: ProColumns<Job>[] = [
    { title: t('admin.job.id'), dataIndex: 'id', search: false },
    {
      title: t('admin.job.kind'),
      dataIndex: 'kind',
      search: false,
      render: (_, j) => (has(`admin.job.kind.${j.kind}`) ? t(`admin.job.kind.${j.kind}`) : <Typography.Text code>{j.kind}</Typography.Text>),
    },
    {
      title: t('common.status'),
      dataIndex: 'status',
      valueType: 'select',
      valueEnum: Object.fromEntries(STATUSES.map((s) => [s, { text: t(`admin.job.status.${s}`) }])),
      render: (_, j) => (
        <Space size={4} wrap={false}>
          <Tag color={LOOK[j.status]?.color} icon={LOOK[j.status]?.icon}>
            {has(`admin.job.status.${j.status}`) ? t(`admin.job.status.${j.status}`) : j.status}
          </Tag>
          {j.status === 'dead' && (
            <Popconfirm
              title={t('admin.job.retryConfirm', { id: j.id })}
              okText={t('admin.job.retry')}
              cancelText={t('common.cancel')}
              onConfirm={() => retry(j)}
            >
              <Button size="small" icon={<RedoOutlined />} data-testid={`job-retry-${j.id}`}>
                {t('admin.job.retry')}
              </Button>
            </Popconfirm>
          )}
        </Space>
      ),
    },
    { title: t('admin.job.summary'), dataIndex: 'summary', search: false, render: (_, j) => j.summary || '—' },
    { title: t('admin.job.attempts'), key: 'attempts', search: false, align: 'right', render: (_, j) => `${j.attempts} / ${j.max_attempts}` },
    { title: t('admin.job.runAt'), dataIndex: 'run_at', search: false, render: (_, j) => cst(j.run_at) },
    {
      title: t('admin.job.lastError'),
      dataIndex: 'last_error',
      search: false,
      render: (_, j) =>
        j.last_error ? (
          <Typography.Paragraph type="danger" ellipsis={{ rows: 2, expandable: true, symbol: t('admin.more') }} style={{ margin: 0, maxWidth: 320 }}>
            {j.last_error}
          </Typography.Paragraph>
        ) : (
          '—'
        ),
    },
    { title: t('common.created'), dataIndex: 'created_at', search: false, render: (_, j) => cst(j.created_at) },
    { title: t('admin.job.finishedAt'), dataIndex: 'finished_at', search: false, render: (_, j) => cst(j.finished_at) },
  ];

  return (
    <PageContainer title={t('menu.jobs')} content={t('admin.job.intro')}>
      <ServerTable<Job> path="/api/v1/admin/jobs" rowKey="id" columns={columns} tableRef={table} />
    </PageContainer>
  );
}
