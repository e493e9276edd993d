// Actions on one contract that more than one screen offers: an officer records a supply
// failure (the backup takes over), a hospital reports a shortage.
import { useState } from 'react';
import { Alert, App, Button, DatePicker, Form, Input, Modal, Tooltip, Typography, type ButtonProps } from 'antd';
import type { Dayjs } from 'dayjs';
import { api, must, type Schemas } from '../../api/client';
import { money } from '../../components/format';
import { useI18n } from '../../i18n';
import { formProblem, primeContracts, type Contract } from './shared';

export function SupplyFailureButton({ contract, onDone }: { contract: Contract; onDone?: (r: Schemas['SupplyFailure']) => void }) {
  const { t, has } = useI18n();
  const { message, modal } = App.useApp();
  const [open, setOpen] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [form] = Form.useForm<{ reason: string; bar_until?: Dayjs }>();
  if (contract.status !== 'active') return null;
  const button = (
    <Button size="small" disabled={!contract.backup} onClick={() => setOpen(true)} data-testid={`supply-failure-${contract.id}`}>
      {t('buyer.failure.record')}
    </Button>
  );
  const submit = async (v: { reason: string; bar_until?: Dayjs }) => {
    setError(null);
    const confirmed = await modal.confirm({
      title: t('buyer.failure.confirmTitle'),
      content: t('buyer.failure.confirmText', {
        supplier: contract.supplier_name,
        backup: contract.backup?.supplier_name,
        price: money(contract.backup?.unit_price),
      }),
      okText: t('buyer.failure.confirmOk'),
      cancelText: t('common.cancel'),
    });
    if (!confirmed) return;
    setBusy(true);
    try {
      const r = await must(
        api.POST('/api/v1/contracts/{id}/supply-failure', {
          params: { path: { id: contract.id } },
          body: { reason: v.reason, bar_until: v.bar_until ? v.bar_until.format('YYYY-MM-DD') : null },
        }),
      );
      primeContracts([r.failed, r.takeover]);
      message.success(t('buyer.failure.done', { supplier: r.takeover.supplier_name, price: money(r.takeover.unit_price) }));
      setOpen(false);
      form.resetFields();
      onDone?.(r);
    } catch (e) {
      setError(formProblem(t, has, form, e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      {contract.backup ? button : <Tooltip title={t('buyer.failure.noBackup')}>{button}</Tooltip>}
      <Modal
        open={open}
        title={t('buyer.failure.title')}
        onCancel={() => setOpen(false)}
        okText={t('common.submit')}
        cancelText={t('common.cancel')}
        okButtonProps={{ loading: busy, 'data-testid': 'supply-failure-submit' } as ButtonProps}
        onOk={() => form.submit()}
        destroyOnHidden
      >
        <Typography.Paragraph>
          {t('buyer.failure.explain', {
            generic: contract.generic_name,
            supplier: contract.supplier_name,
            backup: contract.backup?.supplier_name,
            price: money(contract.backup?.unit_price),
          })}
        </Typography.Paragraph>
        <Form form={form} layout="vertical" onFinish={submit}>
          <Form.Item name="reason" label={t('buyer.failure.reason')} rules={[{ required: true, whitespace: true, max: 2000 }]}>
            <Input.TextArea rows={3} maxLength={2000} showCount />
          </Form.Item>
          <Form.Item name="bar_until" label={t('buyer.failure.barUntil')} extra={t('buyer.failure.barHint')}>
            <DatePicker style={{ width: '100%' }} />
          </Form.Item>
        </Form>
        {error && <Alert type="error" message={error} />}
      </Modal>
    </>
  );
}

export function ShortageButton({ contract }: { contract: Contract }) {
  const { t, has } = useI18n();
  const { message } = App.useApp();
  const [open, setOpen] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [form] = Form.useForm<{ note: string }>();
  return (
    <>
      <Button size="small" onClick={() => setOpen(true)} data-testid={`shortage-${contract.id}`}>
        {t('buyer.shortage.report')}
      </Button>
      <Modal
        open={open}
        title={t('buyer.shortage.title')}
        onCancel={() => setOpen(false)}
        okText={t('common.submit')}
        cancelText={t('common.cancel')}
        okButtonProps={{ loading: busy, 'data-testid': 'shortage-submit' } as ButtonProps}
        onOk={() => form.submit()}
        destroyOnHidden
      >
        <Typography.Paragraph>
          {contract.generic_name} · {contract.supplier_name}
        </Typography.Paragraph>
        <Form
          form={form}
          layout="vertical"
          onFinish={async (v) => {
            setBusy(true);
            setError(null);
            try {
              await must(api.POST('/api/v1/shortages', { body: { contract_id: contract.id, note: v.note } }));
              message.success(t('buyer.shortage.done'));
              setOpen(false);
              form.resetFields();
            } catch (e) {
              setError(formProblem(t, has, form, e));
            } finally {
              setBusy(false);
            }
          }}
        >
          <Form.Item name="note" label={t('buyer.shortage.note')} extra={t('buyer.shortage.hint')} rules={[{ required: true, whitespace: true, max: 2000 }]}>
            <Input.TextArea rows={3} maxLength={2000} showCount />
          </Form.Item>
        </Form>
        {error && <Alert type="error" message={error} />}
      </Modal>
    </>
  );
}
