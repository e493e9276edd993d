import { PageContainer } from '@ant-design/pro-components';
import { Card, Descriptions, Typography } from 'antd';
import { Link } from 'react-router';
import { useAuth } from '../auth';
import { useI18n } from '../i18n';
import { allows, screens } from '../routes';
import { provinceName, useProvinces } from '../components/format';

export default function Home() {
  const { me } = useAuth();
  const { t, lang } = useI18n();
  const provinces = useProvinces();
  if (!me) return null;
  return (
    <PageContainer title={t('home.welcome', { name: me.display_name })}>
      <Card>
        <Descriptions column={{ xs: 1, md: 2 }}>
          <Descriptions.Item label={t('login.email')}>{me.email}</Descriptions.Item>
          <Descriptions.Item label={t('home.role', { role: '' }).replace(/[:：]\s*$/, '')}>{t(`role.${me.role}`)}</Descriptions.Item>
          <Descriptions.Item label={t('user.org')}>{me.org_name}</Descriptions.Item>
          <Descriptions.Item label={t('user.province')}>{provinceName(provinces, me.province, lang)}</Descriptions.Item>
        </Descriptions>
        <Typography.Paragraph>{t('home.hint')}</Typography.Paragraph>
        <ul>
          {screens
            .filter((s) => s.menu && s.path !== '/' && allows(s, me.role))
            .map((s) => (
              <li key={s.path}>
                <Link to={s.path}>{t(s.menu!)}</Link>
              </li>
            ))}
        </ul>
      </Card>
    </PageContainer>
  );
}
