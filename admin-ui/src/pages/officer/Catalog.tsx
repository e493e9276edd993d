// The national catalog: search by name, code prefix, manufacturer and kind, each item with
// the ceiling valid today; an item's ceiling history in a drawer; the CSV export for anyone,
// the CSV import (all or nothing, with its report or its errors by line and column) for
// officers and admins.
import { PageContainer, type ProColumns } from '@ant-design/pro-components';
import { Alert, App, Button, Descriptions, Drawer, Modal, Progress, Space, Table, Tag, Typography, Upload } from 'antd';
import { DownloadOutlined, InboxOutlined, UploadOutlined } from '@ant-design/icons';
import { useEffect, useRef, useState } from 'react';
import { api, ApiError, download, getToken, must, type Problem, type Schemas } from '../../api/client';
import { useAuth } from '../../auth';
import { useI18n, type T } from '../../i18n';
import ServerTable from '../../components/ServerTable';
import Loading from '../../components/Loading';
import { cst, money } from '../../components/format';
import { useSay, word } from './shared';

type Item = Schemas['ItemDto'];
type Detail = Schemas['ItemDetailDto'];
type Report = Schemas['ImportReport'];

const KINDS = ['drug', 'consumable'] as const;
const CONSISTENCY = ['originator', 'reference', 'passed', 'not_passed'] as const;

/** "20 mg", "2 ml", or the consumable's product system. */
function specText(i: Item, t: T, has: (k: string) => boolean): string {
  const parts: string[] = [];
  if (i.strength) parts.push(`${i.strength} ${i.strength_unit ?? ''}`.trim());
  if (i.fill_volume) parts.push(`${i.fill_volume} ${i.fill_volume_unit ?? ''}`.trim());
  const unit = word(t, has, 'unit', i.min_unit);
  parts.push(t('officer.catalog.pack', { n: i.pack_count, unit }));
  return parts.join(' · ');
}

/** Today in China Standard Time, `YYYY-MM-DD`. */
function todayCst(): string {
  return cst(new Date().toISOString(), false);
}

function ItemDrawer({ code, onClose }: { code: string | null; onClose: () => void }) {
  const { t, has } = useI18n();
  const say = useSay();
  const [item, setItem] = useState<Detail | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    if (!code) return;
    let alive = true;
    setItem(null);
    setError(null);
    must(api.GET('/api/v1/catalog/items/{code}', { params: { path: { code } } }))
      .then((d) => alive && setItem(d))
      .catch((e) => alive && setError(say(e)));
    return () => {
      alive = false;
    };
  }, [code, say]);
  const today = todayCst();
  return (
    <Drawer
      open={code !== null}
      onClose={onClose}
      title={item ? item.generic_name : t('officer.catalog.detail')}
      width="min(720px, 100vw)"
      destroyOnHidden
      data-testid="catalog-drawer"
    >
      {error && <Alert type="error" showIcon message={error} />}
      {!item && !error && <Loading />}
      {item && (
        <Space direction="vertical" size="large" style={{ width: '100%' }}>
          <Descriptions column={1} size="small" bordered>
            <Descriptions.Item label={t('officer.catalog.code')}>
              <Typography.Text copyable>{item.code}</Typography.Text>
            </Descriptions.Item>
            <Descriptions.Item label={t('officer.catalog.kind')}>{word(t, has, 'kind', item.kind)}</Descriptions.Item>
            <Descriptions.Item label={t('officer.catalog.genericName')}>{item.generic_name}</Descriptions.Item>
            {item.kind === 'drug' && (
              <Descriptions.Item label={t('officer.catalog.dosageForm')}>{word(t, has, 'form', item.dosage_form)}</Descriptions.Item>
            )}
            <Descriptions.Item label={t('officer.catalog.spec')}>{specText(item, t, has)}</Descriptions.Item>
            {item.kind === 'drug' && (
              <Descriptions.Item label={t('officer.catalog.consistency')}>{word(t, has, 'consistency', item.consistency)}</Descriptions.Item>
            )}
            {item.consumable_class && (
              <Descriptions.Item label={t('officer.catalog.consumableClass')}>{item.consumable_class}</Descriptions.Item>
            )}
            {item.product_system && (
              <Descriptions.Item label={t('officer.catalog.productSystem')}>{item.product_system}</Descriptions.Item>
            )}
            <Descriptions.Item label={t('officer.catalog.manufacturer')}>
              {item.manufacturer}{' '}
              {item.manufacturer_org_id ? <Tag color="blue">{t('officer.catalog.registered')}</Tag> : <Tag>{t('officer.catalog.notRegistered')}</Tag>}
            </Descriptions.Item>
            <Descriptions.Item label={t('officer.catalog.ceilingToday')}>
              {item.ceiling ? t('officer.catalog.perUnit', { price: money(item.ceiling.price), unit: word(t, has, 'unit', item.min_unit) }) : t('officer.catalog.noCeiling')}
            </Descriptions.Item>
            <Descriptions.Item label={t('officer.catalog.updated')}>{cst(item.updated_at)}</Descriptions.Item>
          </Descriptions>
          <div>
            <Typography.Title level={2} style={{ fontSize: 16 }}>{t('officer.catalog.history')}</Typography.Title>
            <Table
              size="small"
              data-testid="ceiling-history"
              rowKey={(c) => `${c.recorded_at}-${c.valid_from}`}
              pagination={false}
              scroll={{ x: 'max-content' }}
              dataSource={item.ceiling_history}
              locale={{ emptyText: t('officer.catalog.noHistory') }}
              columns={[
                { title: t('officer.catalog.ceilingPrice'), dataIndex: 'price', render: (v: string) => money(v) },
                { title: t('officer.catalog.validFrom'), dataIndex: 'valid_from' },
                { title: t('officer.catalog.validTo'), dataIndex: 'valid_to', render: (v?: string | null) => v ?? t('officer.catalog.openEnded') },
                { title: t('officer.catalog.recordedAt'), dataIndex: 'recorded_at', render: (v: string) => cst(v) },
                {
                  title: t('common.status'),
                  key: 'state',
                  render: (_, c) => {
                    const current = item.ceiling && c.price === item.ceiling.price && c.valid_from === item.ceiling.valid_from && c.recorded_at === item.ceiling.recorded_at;
                    if (current) return <Tag color="green">{t('officer.catalog.current')}</Tag>;
                    if (c.valid_from > today) return <Tag color="blue">{t('officer.catalog.future')}</Tag>;
                    return <Tag>{t('officer.catalog.past')}</Tag>;
                  },
                },
              ]}
            />
          </div>
        </Space>
      )}
    </Drawer>
  );
}

type UploadState = { name: string; size: number; loaded: number } | null;
type Outcome = { report: Report } | { problem: Problem } | null;

/** Sends the file as it is (its bytes: GBK stays GBK) with the session's token, reporting progress. */
function postCsv(file: File, onProgress: (loaded: number) => void): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', '/api/v1/catalog/imports');
    const token = getToken();
    if (token) xhr.setRequestHeader('Authorization', `Bearer ${token}`);
    xhr.setRequestHeader('Content-Type', 'text/csv');
    xhr.upload.onprogress = (e) => onProgress(e.loaded);
    xhr.onload = () => {
      let body: unknown = xhr.responseText;
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        /* not JSON: kept as text */
      }
      resolve({ status: xhr.status, body });
    };
    xhr.onerror = () => reject(new Error('network'));
    xhr.send(file);
  });
}

function ImportDialog({ open, onClose, onImported }: { open: boolean; onClose: () => void; onImported: () => void }) {
  const { t } = useI18n();
  const say = useSay();
  const [upload, setUpload] = useState<UploadState>(null);
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<Outcome>(null);
  const start = async (file: File) => {
    setOutcome(null);
    setBusy(true);
    setUpload({ name: file.name, size: file.size, loaded: 0 });
    try {
      const { status, body } = await postCsv(file, (loaded) => setUpload((u) => (u ? { ...u, loaded } : u)));
      setUpload((u) => (u ? { ...u, loaded: u.size } : u));
      if (status >= 200 && status < 300) {
        setOutcome({ report: body as Report });
        onImported();
      } else if (body && typeof body === 'object' && 'code' in body) {
        setOutcome({ problem: body as Problem });
      } else {
        setOutcome({ problem: { code: `http_${status}`, status, detail: typeof body === 'string' ? body.slice(0, 200) : undefined } });
      }
    } catch {
      setOutcome({ problem: { code: 'network', status: 0 } });
    } finally {
      setBusy(false);
    }
  };
  const percent = upload ? (upload.size === 0 ? 100 : Math.min(100, Math.round((upload.loaded / upload.size) * 100))) : 0;
  const close = () => {
    if (busy) return;
    setUpload(null);
    setOutcome(null);
    onClose();
  };
  const problem = outcome && 'problem' in outcome ? outcome.problem : null;
  const report = outcome && 'report' in outcome ? outcome.report : null;
  const lineErrors = ((problem?.errors ?? []) as { field?: string | null; line?: number | null; message: string }[]).map((e, i) => ({ ...e, key: i }));
  // the detail says how many errors in all ("the file has 7 errors; ..."); the list holds the first 100
  const total = Number(/(\d+) errors?/.exec(problem?.detail ?? '')?.[1] ?? lineErrors.length);
  return (
    <Modal
      open={open}
      title={t('officer.import.title')}
      onCancel={close}
      footer={<Button onClick={close} disabled={busy}>{t('officer.import.close')}</Button>}
      width="min(820px, 96vw)"
      destroyOnHidden
    >
      <Space direction="vertical" size="middle" style={{ width: '100%' }}>
        <Typography.Paragraph type="secondary" style={{ marginBottom: 0 }}>
          {t('officer.import.hint')}
        </Typography.Paragraph>
        <Upload.Dragger
          accept=".csv,text/csv"
          multiple={false}
          showUploadList={false}
          disabled={busy}
          beforeUpload={(file) => {
            void start(file);
            return false;
          }}
          data-testid="import-file"
        >
          <p className="ant-upload-drag-icon">
            <InboxOutlined />
          </p>
          <p className="ant-upload-text">{t('officer.import.drop')}</p>
          <p className="ant-upload-hint">{t('officer.import.limits')}</p>
        </Upload.Dragger>
        {upload && (
          <div>
            <Typography.Text>{upload.name}</Typography.Text>
            <Progress
              percent={percent}
              status={busy ? 'active' : problem ? 'exception' : 'success'}
              aria-label={t('officer.import.progress')}
              data-testid="import-progress"
            />
            {busy && percent >= 100 && <Typography.Text type="secondary">{t('officer.import.checking')}</Typography.Text>}
          </div>
        )}
        {report && (
          <Alert
            type="success"
            showIcon
            data-testid="import-report"
            message={t('officer.import.done')}
            description={
              <Descriptions size="small" column={{ xs: 1, sm: 2, md: 3 }}>
                <Descriptions.Item label={t('officer.import.rows')}>{report.rows}</Descriptions.Item>
                <Descriptions.Item label={t('officer.import.created')}>{report.created}</Descriptions.Item>
                <Descriptions.Item label={t('officer.import.updated')}>{report.updated}</Descriptions.Item>
                <Descriptions.Item label={t('officer.import.unchanged')}>{report.unchanged}</Descriptions.Item>
                <Descriptions.Item label={t('officer.import.ceilingsAdded')}>{report.ceilings_added}</Descriptions.Item>
                <Descriptions.Item label={t('officer.import.encoding')}>{report.encoding}</Descriptions.Item>
              </Descriptions>
            }
          />
        )}
        {problem && (
          <Alert
            type="error"
            showIcon
            data-testid="import-failed"
            message={lineErrors.length ? t('officer.import.failed') : say(new ApiError(problem))}
            description={lineErrors.length ? t(total > lineErrors.length ? 'officer.import.errorsFirst' : 'officer.import.errors', { n: total, shown: lineErrors.length }) : undefined}
          />
        )}
        {lineErrors.length > 0 && (
          <Table
            size="small"
            data-testid="import-errors"
            rowKey="key"
            dataSource={lineErrors}
            pagination={lineErrors.length > 20 ? { pageSize: 20, showSizeChanger: false } : false}
            scroll={{ x: 'max-content' }}
            columns={[
              { title: t('officer.import.line'), dataIndex: 'line', width: 80, render: (v?: number | null) => v ?? '—' },
              { title: t('officer.import.column'), dataIndex: 'field', width: 160, render: (v?: string | null) => v ?? '—' },
              { title: t('officer.import.message'), dataIndex: 'message' },
            ]}
          />
        )}
      </Space>
    </Modal>
  );
}

export default function Catalog() {
  const { t, has } = useI18n();
  const { me } = useAuth();
  const { message } = App.useApp();
  const say = useSay();
  const [code, setCode] = useState<string | null>(null);
  const [importing, setImporting] = useState(false);
  const [exporting, setExporting] = useState(false);
  const table = useRef<{ reload: () => void }>(null);
  const canImport = me?.role === 'procurement_officer' || me?.role === 'admin';

  const columns: ProColumns<Item>[] = [
    { title: t('officer.catalog.q'), dataIndex: 'q', hideInTable: true, order: 10, fieldProps: { placeholder: t('officer.catalog.qHint') } },
    {
      title: t('officer.catalog.code'),
      dataIndex: 'code',
      order: 9,
      fieldProps: { placeholder: t('officer.catalog.codeHint') },
      render: (_, i) => (
        <Button
          type="link"
          size="small"
          style={{ padding: 0 }}
          onClick={() => setCode(i.code)}
          aria-label={t('officer.catalog.historyOf', { code: i.code })}
          data-testid={`item-${i.code}`}
        >
          {i.code}
        </Button>
      ),
    },
    { title: t('officer.catalog.genericName'), dataIndex: 'generic_name', search: false },
    { title: t('officer.catalog.dosageForm'), dataIndex: 'dosage_form', search: false, render: (_, i) => word(t, has, 'form', i.dosage_form) },
    { title: t('officer.catalog.spec'), key: 'spec', search: false, render: (_, i) => specText(i, t, has) },
    {
      title: t('officer.catalog.ceilingToday'),
      key: 'ceiling',
      search: false,
      align: 'right',
      render: (_, i) =>
        i.ceiling ? (
          <span title={t('officer.catalog.validSince', { from: i.ceiling.valid_from })}>{money(i.ceiling.price)}</span>
        ) : (
          <Typography.Text type="secondary">{t('officer.catalog.noCeiling')}</Typography.Text>
        ),
    },
    {
      title: t('officer.catalog.consistency'),
      dataIndex: 'consistency',
      order: 6,
      valueType: 'select',
      valueEnum: Object.fromEntries(CONSISTENCY.map((k) => [k, { text: t(`officer.consistency.${k}`) }])),
      render: (_, i) => word(t, has, 'consistency', i.consistency),
    },
    { title: t('officer.catalog.manufacturer'), dataIndex: 'manufacturer', order: 8 },
    {
      title: t('officer.catalog.kind'),
      dataIndex: 'kind',
      order: 7,
      valueType: 'select',
      valueEnum: Object.fromEntries(KINDS.map((k) => [k, { text: t(`officer.kind.${k}`) }])),
      render: (_, i) => word(t, has, 'kind', i.kind),
    },
  ];

  const exportCsv = async () => {
    setExporting(true);
    try {
      await download('/api/v1/catalog/export.csv', undefined, undefined, `catalog-${todayCst()}.csv`);
    } catch (e) {
      message.error(say(e));
    } finally {
      setExporting(false);
    }
  };

  return (
    <PageContainer title={t('menu.catalog')} content={t('officer.catalog.intro')}>
      <ServerTable<Item>
        path="/api/v1/catalog/items"
        rowKey="code"
        columns={columns}
        tableRef={table}
        toolbar={[
          <Button key="export" icon={<DownloadOutlined />} loading={exporting} onClick={exportCsv} data-testid="catalog-export">
            {t('officer.catalog.export')}
          </Button>,
          ...(canImport
            ? [
                <Button key="import" type="primary" icon={<UploadOutlined />} onClick={() => setImporting(true)} data-testid="catalog-import">
                  {t('officer.catalog.import')}
                </Button>,
              ]
            : []),
        ]}
      />
      <ItemDrawer code={code} onClose={() => setCode(null)} />
      {canImport && <ImportDialog open={importing} onClose={() => setImporting(false)} onImported={() => table.current?.reload()} />}
    </PageContainer>
  );
}
