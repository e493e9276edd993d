// The frame of every signed-in screen: the role's menu (from routes.tsx), the user's name,
// organisation and province, the language switch and sign-out.
import { ProLayout, type MenuDataItem } from '@ant-design/pro-components';
import { Button, Tag, Tooltip, Typography } from 'antd';
import { GlobalOutlined, LogoutOutlined } from '@ant-design/icons';
import { Suspense, type ReactNode } from 'react';
import { Link, useLocation } from 'react-router';
import { useAuth } from './auth';
import { useI18n } from './i18n';
import { allows, screens } from './routes';
import { provinceName, useProvinces } from './components/format';
import Loading from './components/Loading';

export default function Shell({ children }: { children: ReactNode }) {
  const { me, logout } = useAuth();
  const { t, lang, setLang } = useI18n();
  const provinces = useProvinces();
  const location = useLocation();
  if (!me) return null;

  const items: MenuDataItem[] = [];
  for (const s of screens) {
    if (!s.menu || !allows(s, me.role)) continue;
    const entry = { path: s.path, name: t(s.menu) };
    if (s.group) {
      let g = items.find((i) => i.key === s.group);
      if (!g) {
        g = { key: s.group, path: `/${s.group}`, name: t(s.group), children: [] };
        items.push(g);
      }
      g.children!.push(entry);
    } else items.push(entry);
  }

  return (
    <ProLayout
      title={t('app.short')}
      logo="/favicon.svg"
      layout="mix"
      fixSiderbar
      siderWidth={208}
      breakpoint="lg"
      location={location}
      route={{ path: '/', routes: items }}
      menuDataRender={() => items}
      menu={{ locale: false, defaultOpenAll: true }}
      menuItemRender={(item, dom) => <Link to={item.path ?? '/'}>{dom}</Link>}
      actionsRender={() => [
        <div
          key="who"
          data-testid="whoami"
          style={{ display: 'flex', alignItems: 'center', gap: 8, whiteSpace: 'nowrap', lineHeight: 1.2 }}
        >
          <div style={{ display: 'flex', flexDirection: 'column', alignItems: 'flex-end', minWidth: 0 }}>
            <Typography.Text strong ellipsis style={{ maxWidth: 220 }}>
              {me.display_name}
            </Typography.Text>
            <Tooltip title={t('user.org')}>
              <Typography.Text type="secondary" ellipsis style={{ maxWidth: 220, fontSize: 12 }}>
                {me.org_name}
              </Typography.Text>
            </Tooltip>
          </div>
          <Tag style={{ marginInlineEnd: 0 }}>{t(`role.${me.role}`)}</Tag>
          {me.province && (
            <Tag color="blue" style={{ marginInlineEnd: 0 }}>
              {provinceName(provinces, me.province, lang)}
            </Tag>
          )}
        </div>,
        <Button
          key="lang"
          type="text"
          icon={<GlobalOutlined />}
          title={t('lang.label')}
          onClick={() => setLang(lang === 'zh' ? 'en' : 'zh')}
          data-testid="lang-switch"
        >
          {t('lang.switch')}
        </Button>,
        <Button key="out" type="text" icon={<LogoutOutlined />} onClick={() => logout()} data-testid="logout">
          {t('logout')}
        </Button>,
      ]}
    >
      <Suspense fallback={<Loading />}>{children}</Suspense>
    </ProLayout>
  );
}
