import { Alert, Button, Card, Form, Input, Typography } from 'antd';
import { GlobalOutlined } from '@ant-design/icons';
import { useState } from 'react';
import { Navigate, useLocation, useNavigate } from 'react-router';
import { useAuth } from '../auth';
import { describe } from '../api/problem';
import { useI18n } from '../i18n';

export default function Login() {
  const { me, login } = useAuth();
  const { t, has, lang, setLang } = useI18n();
  const navigate = useNavigate();
  const location = useLocation();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const from = (location.state as { from?: string } | null)?.from ?? '/';
  if (me) return <Navigate to={from} replace />;
  return (
    <main style={{ minHeight: '100vh', display: 'grid', placeItems: 'center', background: '#f5f5f5', padding: 16 }}>
      <Card style={{ width: '100%', maxWidth: 400 }}>
        <div style={{ display: 'flex', justifyContent: 'space-between', alignItems: 'center' }}>
          <Typography.Title level={1} style={{ fontSize: 20, margin: 0 }}>
            {t('app.title')}
          </Typography.Title>
          <Button type="text" icon={<GlobalOutlined />} onClick={() => setLang(lang === 'zh' ? 'en' : 'zh')} data-testid="lang-switch">
            {t('lang.switch')}
          </Button>
        </div>
        <Typography.Title level={2} style={{ fontSize: 16, marginTop: 16 }}>
          {t('login.title')}
        </Typography.Title>
        <Form
          layout="vertical"
          onFinish={async (v: { email: string; password: string }) => {
            setBusy(true);
            setError(null);
            try {
              await login(v.email.trim(), v.password);
              navigate(from, { replace: true });
            } catch (e) {
              setError(describe(t, has, e));
            } finally {
              setBusy(false);
            }
          }}
        >
          <Form.Item name="email" label={t('login.email')} rules={[{ required: true, type: 'email' }]}>
            <Input autoComplete="username" />
          </Form.Item>
          <Form.Item name="password" label={t('login.password')} rules={[{ required: true }]}>
            <Input.Password autoComplete="current-password" />
          </Form.Item>
          {error && <Alert type="error" role="alert" message={error} style={{ marginBottom: 16 }} />}
          <Button type="primary" htmlType="submit" loading={busy} block>
            {t('login.submit')}
          </Button>
        </Form>
      </Card>
    </main>
  );
}
