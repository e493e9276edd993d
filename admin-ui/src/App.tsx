import { Result } from 'antd';
import { lazy, Suspense } from 'react';
import { BrowserRouter, Navigate, Route, Routes, useLocation } from 'react-router';
import { AuthProvider, useAuth } from './auth';
import { LangProvider, useI18n } from './i18n';
import { allows, screens } from './routes';
import Login from './pages/Login';
import Loading from './components/Loading';

// the frame of signed-in screens (ProLayout) is a chunk of its own: the sign-in page does not load it
const Shell = lazy(() => import('./Shell'));

function Guarded() {
  const { me, loading } = useAuth();
  const { t } = useI18n();
  const location = useLocation();
  if (loading) return <Loading />;
  if (!me) return <Navigate to="/login" replace state={{ from: location.pathname + location.search }} />;
  return (
    <Suspense fallback={<Loading />}>
    <Shell>
      <Routes>
        {screens.map((s) => {
          const Page = s.component;
          return (
            <Route
              key={s.path}
              path={s.path}
              element={
                allows(s, me.role) ? (
                  <Page />
                ) : (
                  <div data-testid="forbidden">
                    <Result
                      status="403"
                      title={t('forbidden.title')}
                      subTitle={t('forbidden.detail', { role: t(`role.${me.role}`) })}
                    />
                  </div>
                )
              }
            />
          );
        })}
        <Route path="*" element={<Result status="404" title={t('notFound.title')} />} />
      </Routes>
    </Shell>
    </Suspense>
  );
}

export default function App() {
  return (
    <LangProvider>
      <AuthProvider>
        <BrowserRouter>
          <Routes>
            <Route path="/login" element={<Login />} />
            <Route path="/*" element={<Guarded />} />
          </Routes>
        </BrowserRouter>
      </AuthProvider>
    </LangProvider>
  );
}
