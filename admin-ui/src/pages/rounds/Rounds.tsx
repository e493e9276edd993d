// Every round the caller may see, with the step each role takes next.
import { PageContainer, type ProColumns } from '@ant-design/pro-components';
import { Button, Space } from 'antd';
import { PlusOutlined } from '@ant-design/icons';
import { Link } from 'react-router';
import type { Schemas } from '../../api/client';
import { useAuth } from '../../auth';
import { useI18n } from '../../i18n';
import ServerTable from '../../components/ServerTable';
import { ROUND_STATUSES, RoundStatus } from '../../components/RoundStatus';
import { cst } from '../../components/format';

type Round = Schemas['RoundDto'];
export default function Rounds() {
  const { me } = useAuth();
  const { t } = useI18n();
  const role = me?.role;
  const columns: ProColumns<Round>[] = [
    { title: t('common.name'), dataIndex: 'name', search: false, ellipsis: true, width: 280, sorter: true },
    {
      title: t('common.status'),
      dataIndex: 'status',
      valueType: 'select',
      valueEnum: Object.fromEntries(ROUND_STATUSES.map((s) => [s, { text: t(`round.status.${s}`) }])),
      render: (_, r) => <RoundStatus status={r.status} />,
    },
    { title: t('round.kind'), dataIndex: 'kind', search: false, render: (_, r) => t(`round.kind.${r.kind}`) },
    {
      title: t('round.deadline'),
      dataIndex: 'bidding_deadline',
      search: false,
      sorter: true,
      defaultSortOrder: 'descend',
      render: (_, r) => cst(r.bidding_deadline),
    },
    {
      title: t('common.actions'),
      search: false,
      render: (_, r) => (
        <Space wrap>
          {(role === 'procurement_officer' || role === 'auditor' || role === 'admin') && (
            <Link to={`/rounds/${r.id}/manage`}>{t('round.manage')}</Link>
          )}
          {role === 'supplier' && ['bidding_open', 'closed', 'opened', 'evaluated', 'awarded'].includes(r.status) && (
            <Link to={`/rounds/${r.id}/bid`} data-testid={`bid-${r.id}`}>
              {r.status === 'bidding_open' ? t('round.bid') : t('round.myBids')}
            </Link>
          )}
          {(role === 'provincial_buyer' || role === 'hospital') && r.status === 'demand_collection' && (
            <Link to={`/rounds/${r.id}/demand`}>{t('menu.demand')}</Link>
          )}
          {['awarded', 'completed'].includes(r.status) && <Link to={`/rounds/${r.id}/results`}>{t('menu.results')}</Link>}
        </Space>
      ),
    },
  ];
  return (
    <PageContainer title={t('menu.rounds')}>
      <ServerTable<Round>
        path="/api/v1/rounds"
        rowKey="id"
        columns={columns}
        toolbar={
          role === 'procurement_officer'
            ? [
                <Link key="new" to="/rounds/new">
                  <Button type="primary" icon={<PlusOutlined />}>
                    {t('menu.newRound')}
                  </Button>
                </Link>,
              ]
            : undefined
        }
      />
    </PageContainer>
  );
}
