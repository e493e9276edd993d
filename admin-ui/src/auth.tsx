// The session: the token (sessionStorage, this tab only), the caller from `/api/v1/me`, and
// what happens when the server ends the session: a sign-in dialog over the current page, so
// nothing typed into a form is lost; the same user signs back in and carries on.
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { Alert, Button, Form, Input, Modal } from 'antd';
import { api, getToken, must, setToken, setUnauthorizedHandler, type Schemas } from './api/client';
import { describe } from './api/problem';
import { useI18n } from './i18n';

export type Me = Schemas['MeDto'];
export type Role = Me['role'];

interface Auth {
  me: Me | null;
  /** true while the stored token is being checked on load */
  loading: boolean;
  login: (email: string, password: string) => Promise<Me>;
  logout: () => Promise<void>;
}

const Ctx = createContext<Auth | null>(null);

export function AuthProvider({ children }: { children: ReactNode }) {
  const [me, setMe] = useState<Me | null>(null);
  const [loading, setLoading] = useState<boolean>(!!getToken());
  const [expired, setExpired] = useState(false);

  useEffect(() => {
    setUnauthorizedHandler(() => setExpired(true));
    if (!getToken()) return;
    must(api.GET('/api/v1/me'))
      .then(setMe)
      .catch(() => {
        setToken(null);
        setMe(null);
      })
      .finally(() => setLoading(false));
  }, []);

  const login = useCallback(async (email: string, password: string) => {
    const r = await must(api.POST('/api/v1/auth/login', { body: { email, password } }));
    setToken(r.access_token);
    setMe(r.user);
    setExpired(false);
    return r.user;
  }, []);

  const logout = useCallback(async () => {
    try {
      await api.POST('/api/v1/auth/logout');
    } finally {
      setToken(null);
      setMe(null);
      setExpired(false);
    }
  }, []);

  const value = useMemo(() => ({ me, loading, login, logout }), [me, loading, login, logout]);
  return (
    <Ctx.Provider value={value}>
      {children}
      {me && expired && <Relogin email={me.email} onSignedIn={() => setExpired(false)} onLeave={logout} />}
    </Ctx.Provider>
  );
}

export function useAuth(): Auth {
  const v = useContext(Ctx);
  if (!v) throw new Error('useAuth outside AuthProvider');
  return v;
}

/** The sign-in dialog shown over the page when the session ends. */
function Relogin({ email, onSignedIn, onLeave }: { email: string; onSignedIn: () => void; onLeave: () => void }) {
  const { t, has } = useI18n();
  const { login } = useAuth();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  return (
    <Modal open title={t('login.expiredTitle')} closable={false} maskClosable={false} footer={null}>
      <Alert type="warning" showIcon message={t('login.expired')} style={{ marginBottom: 16 }} />
      <Form
        layout="vertical"
        initialValues={{ email }}
        onFinish={async (v: { email: string; password: string }) => {
          setBusy(true);
          setError(null);
          try {
            await login(v.email, v.password);
            onSignedIn();
          } catch (e) {
            setError(describe(t, has, e));
          } finally {
            setBusy(false);
          }
        }}
      >
        <Form.Item name="email" label={t('login.email')} rules={[{ required: true }]}>
          <Input autoComplete="username" disabled />
        </Form.Item>
        <Form.Item name="password" label={t('login.password')} rules={[{ required: true }]}>
          <Input.Password autoComplete="current-password" autoFocus />
        </Form.Item>
        {error && <Alert type="error" message={error} style={{ marginBottom: 16 }} />}
        <Button type="primary" htmlType="submit" loading={busy} block>
          {t('login.submit')}
        </Button>
        <Button type="link" onClick={onLeave} block>
          {t('logout')}
        </Button>
      </Form>
    </Modal>
  );
}
