// What the administration screens share: the kinds of organisation and roles, every
// organisation and user (for the pickers and names), a generated password shown once.
import { useEffect, useState } from 'react';
import { Alert, Button, Modal, Tag, Typography } from 'antd';
import { CheckCircleOutlined, StopOutlined } from '@ant-design/icons';
import { getJson, type Page, type Schemas } from '../../api/client';
import { useI18n } from '../../i18n';

export type Org = Schemas['OrgDto'];
export type User = Schemas['UserDto'];
export type OrgKind = Org['kind'];
export type Role = User['role'];

export const ORG_KINDS: OrgKind[] = ['platform', 'procurement_office', 'supplier', 'buyer', 'insurer', 'supervision', 'hospital', 'distributor'];
export const ROLES: Role[] = ['admin', 'procurement_officer', 'supplier', 'provincial_buyer', 'insurer', 'auditor', 'hospital', 'distributor'];
/** The kind of organisation each role belongs to (the server checks it). */
export const KIND_OF_ROLE: Record<Role, OrgKind> = {
  admin: 'platform',
  procurement_officer: 'procurement_office',
  supplier: 'supplier',
  provincial_buyer: 'buyer',
  insurer: 'insurer',
  auditor: 'supervision',
  hospital: 'hospital',
  distributor: 'distributor',
};
/** Kinds bound to one province. */
export const PROVINCIAL: OrgKind[] = ['buyer', 'insurer', 'hospital'];

/** Every row of a list route, page by page (at most 20 pages of 200). */
async function all<T>(path: '/api/v1/orgs' | '/api/v1/users'): Promise<T[]> {
  const out: T[] = [];
  for (let page = 1; page <= 20; page++) {
    const p = await getJson<Page<T>>(path, { page, per_page: 200 });
    out.push(...p.items);
    if (page * p.per_page >= p.total) break;
  }
  return out;
}

/** Every organisation, fetched on mount; `reload` after a change. */
export function useAllOrgs(): { orgs: Org[]; reload: () => void } {
  const [orgs, setOrgs] = useState<Org[]>([]);
  const [n, setN] = useState(0);
  useEffect(() => {
    let alive = true;
    all<Org>('/api/v1/orgs')
      .then((list) => alive && setOrgs(list.sort((a, b) => a.name.localeCompare(b.name))))
      .catch(() => alive && setOrgs([]));
    return () => {
      alive = false;
    };
  }, [n]);
  return { orgs, reload: () => setN((x) => x + 1) };
}

/** Every user (for names of actors in the audit log). */
export function useAllUsers(): User[] {
  const [users, setUsers] = useState<User[]>([]);
  useEffect(() => {
    let alive = true;
    all<User>('/api/v1/users')
      .then((list) => alive && setUsers(list))
      .catch(() => alive && setUsers([]));
    return () => {
      alive = false;
    };
  }, []);
  return users;
}

/** 20 characters of an unambiguous alphabet from the browser's CSPRNG (as the server makes them). */
export function generatePassword(length = 20): string {
  const alphabet = 'abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789';
  const out: string[] = [];
  const buf = new Uint32Array(1);
  while (out.length < length) {
    crypto.getRandomValues(buf);
    // rejection sampling: no modulo bias
    const limit = Math.floor(0x1_0000_0000 / alphabet.length) * alphabet.length;
    if (buf[0] < limit) out.push(alphabet[buf[0] % alphabet.length]);
  }
  return out.join('');
}

/** A password shown once, with a copy button; gone when the dialog closes. */
export function PasswordOnce({ email, password, onClose }: { email: string; password: string; onClose: () => void }) {
  const { t } = useI18n();
  return (
    <Modal
      open
      title={t('admin.password.title')}
      onCancel={onClose}
      maskClosable={false}
      footer={[
        <Button key="ok" type="primary" onClick={onClose} data-testid="password-done">
          {t('admin.password.done')}
        </Button>,
      ]}
    >
      <Alert type="warning" showIcon message={t('admin.password.once')} style={{ marginBottom: 16 }} />
      <Typography.Paragraph>{t('admin.password.for', { email })}</Typography.Paragraph>
      <Typography.Paragraph copyable={{ text: password }} style={{ fontSize: 18 }}>
        <Typography.Text code data-testid="password-once">
          {password}
        </Typography.Text>
      </Typography.Paragraph>
    </Modal>
  );
}

export function ActiveTag({ active, activeText, inactiveText }: { active: boolean; activeText: string; inactiveText: string }) {
  return active ? (
    <Tag color="success" icon={<CheckCircleOutlined />}>
      {activeText}
    </Tag>
  ) : (
    <Tag color="default" icon={<StopOutlined />}>
      {inactiveText}
    </Tag>
  );
}
