// A dialog around one form, for the screens' create/rename/record dialogs: Cancel and a
// primary OK button (busy while saving). OK (or Enter in the form) validates the fields and
// hands their values to `onSubmit`, which makes the call and handles the success. A failed
// call puts the problem's field errors on their fields, a `code` listed in `codeFields` on
// that field (as `err.<code>`), and anything else in an error alert under the form.
import { Alert, Button, Form, Modal, type FormInstance, type FormProps } from 'antd';
import { useState, type ReactNode } from 'react';
import { applyFieldErrors, describe, problemOf } from '../api/problem';
import { useI18n } from '../i18n';

export interface FormModalProps<V> {
  title: ReactNode;
  form: FormInstance<V>;
  /** The OK button's text (default: common.save). */
  okText?: ReactNode;
  okTestId: string;
  /** Makes the call with the validated values and handles the success; throws on failure. */
  onSubmit: (values: V) => Promise<void>;
  onClose: () => void;
  /** Problem codes shown on a field rather than in the alert, e.g. `{ email_taken: 'email' }`. */
  codeFields?: Record<string, keyof V & string>;
  width?: number | string;
  /** Shown above the form (what the dialog is about). */
  intro?: ReactNode;
  initialValues?: FormProps<V>['initialValues'];
  onValuesChange?: FormProps<V>['onValuesChange'];
  /** Whether Enter in the form submits it (default true). */
  submitOnEnter?: boolean;
  /** The form's items (and anything shown with them). */
  children: ReactNode;
}

export default function FormModal<V>({
  title,
  form,
  okText,
  okTestId,
  onSubmit,
  onClose,
  codeFields,
  width,
  intro,
  initialValues,
  onValuesChange,
  submitOnEnter = true,
  children,
}: FormModalProps<V>) {
  const { t, has } = useI18n();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const submit = async () => {
    let v: V;
    try {
      v = await form.validateFields();
    } catch {
      return; // the form shows what is missing next to each field
    }
    setBusy(true);
    setError(null);
    try {
      await onSubmit(v);
    } catch (e) {
      const left = applyFieldErrors(form, e);
      const p = problemOf(e);
      const field = codeFields && Object.hasOwn(codeFields, p.code) ? codeFields[p.code] : undefined;
      if (field) (form as FormInstance).setFields([{ name: field, errors: [t(`err.${p.code}`)] }]);
      else if (left.length > 0 || !p.errors?.length) setError(describe(t, has, e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal
      open
      title={title}
      width={width}
      onCancel={onClose}
      destroyOnHidden
      footer={[
        <Button key="cancel" onClick={onClose}>
          {t('common.cancel')}
        </Button>,
        <Button key="ok" type="primary" loading={busy} onClick={submit} data-testid={okTestId}>
          {okText ?? t('common.save')}
        </Button>,
      ]}
    >
      {intro}
      <Form<V>
        form={form}
        layout="vertical"
        initialValues={initialValues}
        onValuesChange={onValuesChange}
        onFinish={submitOnEnter ? submit : undefined}
      >
        {children}
      </Form>
      {error && <Alert type="error" showIcon message={error} />}
    </Modal>
  );
}
