// Overdue lines (逾期清单): accepted lines still unpaid after their due date (acceptance + the
// province's payment days, 30 unless set). The daily scan flags them and tells the insurer,
// the hospital and the supplier once; an insurer (its province) or an admin (all) may run it
// now.
import { PageContainer, type ProColumns } from '@ant-design/pro-components';
import { Alert, App, Button, Typography } from 'antd';
import { ScanOutlined } from '@ant-design/icons';
import { useRef, useState } from 'react';
import { api, must, type Schemas } from '../../api/client';
import { describe } from '../../api/problem';
import { useAuth } from '../../auth';
import { useI18n } from '../../i18n';
import ServerTable from '../../components/ServerTable';
import { money, provinceName, useProvinces } from '../../components/format';
import { chinaToday, daysBetween, LineState, ShortId } from './settlementShared';

type Line = Schemas['SettlementLineDto'];
type Scan = Schemas['ScanDto'];

export default function Overdue() {
  const { me } = useAuth();
  const { t, has, lang } = useI18n();
  const { message } = App.useApp();
  const provinces = useProvinces();
  const table = useRef<{ reload: () => void }>(null);
  const [scanning, setScanning] = useState(false);
  const [scan, setScan] = useState<Scan | null>(null);
  const role = me?.role;
  const canScan = role === 'insurer' || role === 'admin';
  const today = chinaToday();

  const runScan = async () => {
    setScanning(true);
    try {
      const r = await must(api.POST('/api/v1/settlements/overdue/scan'));
      setScan(r);
      table.current?.reload();
    } catch (e) {
      message.error(describe(t, has, e));
    } finally {
      setScanning(false);
    }
  };

  const columns: ProColumns<Line>[] = [
    { title: t('insurer.hospital'), dataIndex: 'hospital_name', ellipsis: true, width: 220 },
    { title: t('insurer.supplier'), dataIndex: 'supplier_name', ellipsis: true, width: 200 },
    { title: t('insurer.line.dueDate'), dataIndex: 'due_date' },
    {
      title: t('insurer.line.daysLate'),
      key: 'late',
      align: 'right',
      render: (_, l) => <Typography.Text type="danger">{t('insurer.line.days', { n: Math.max(0, daysBetween(l.due_date, today)) })}</Typography.Text>,
    },
    { title: t('insurer.amount'), dataIndex: 'amount', align: 'right', render: (_, l) => <Typography.Text strong>{money(l.amount)}</Typography.Text> },
    { title: t('common.status'), dataIndex: 'state', render: (_, l) => <LineState state={l.state} overdue={l.overdue} /> },
    ...(role === 'insurer' || role === 'hospital'
      ? []
      : [{ title: t('common.province'), dataIndex: 'province', render: (_: unknown, l: Line) => provinceName(provinces, l.province, lang) }]),
    { title: t('insurer.line.acceptedOn'), dataIndex: 'accepted_on' },
    { title: t('insurer.line.invoice'), dataIndex: 'invoice_no' },
    { title: t('insurer.line.product'), dataIndex: 'product_code', render: (_, l) => <Typography.Text code>{l.product_code}</Typography.Text> },
    { title: t('insurer.line.quantity'), dataIndex: 'quantity', align: 'right' },
    { title: t('insurer.line.unitPrice'), dataIndex: 'unit_price', align: 'right', render: (_, l) => money(l.unit_price) },
    { title: t('insurer.batch.id'), dataIndex: 'batch_id', render: (_, l) => <ShortId id={l.batch_id} /> },
  ];

  return (
    <PageContainer title={t('menu.overdue')} content={t('insurer.overdue.intro')}>
      {scan && (
        <Alert
          style={{ marginBottom: 16 }}
          type={scan.flagged > 0 ? 'warning' : 'success'}
          showIcon
          closable
          onClose={() => setScan(null)}
          data-testid="overdue-scan-result"
          message={
            scan.flagged > 0
              ? t('insurer.overdue.scanFlagged', { today: scan.today, n: scan.flagged })
              : t('insurer.overdue.scanNone', { today: scan.today })
          }
          description={t('insurer.overdue.scanNote')}
        />
      )}
      <ServerTable<Line>
        path="/api/v1/settlements/overdue"
        rowKey="delivery_line_id"
        search={false}
        columns={columns.map((c) => ({ ...c, search: false }))}
        tableRef={table}
        toolbar={
          canScan
            ? [
                <Button key="scan" icon={<ScanOutlined />} loading={scanning} onClick={runScan} data-testid="overdue-scan">
                  {t('insurer.overdue.scan')}
                </Button>,
              ]
            : undefined
        }
      />
    </PageContainer>
  );
}
