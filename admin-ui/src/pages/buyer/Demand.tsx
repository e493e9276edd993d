// Demand of a round collecting it: a hospital reports its own annual demand per lot; a
// provincial centre reports its province's (one figure per lot), or, where its hospitals
// report, sees their reports and may correct them (the province's figure is their sum).
import { PageContainer } from '@ant-design/pro-components';
import { Alert, Button, Card, Modal, Space, Table, Typography } from 'antd';
import { useCallback, useEffect, useMemo, useState } from 'react';
import { useParams } from 'react-router';
import { api, getJson, must, sendJson, type Page, type Schemas } from '../../api/client';
import { describe } from '../../api/problem';
import { useAuth } from '../../auth';
import { useI18n } from '../../i18n';
import Loading from '../../components/Loading';
import { provinceName, useProvinces } from '../../components/format';
import { RoundStatus } from '../../components/RoundStatus';
import DemandTable, { type DemandLine } from '../supplier/DemandTable';

type Round = Schemas['RoundDto'];
type Lot = Schemas['LotDto'];
type HospitalDemand = Schemas['HospitalDemandDto'];
type DemandView = Schemas['DemandView'];

interface HospitalRow {
  hospital_org_id: string;
  hospital_name: string;
  values: Record<string, number | undefined>;
  reportedAt: Record<string, string | undefined>;
}

export default function Demand() {
  const { id = '' } = useParams();
  const { me } = useAuth();
  const { t, has, lang } = useI18n();
  const provinces = useProvinces();
  const [round, setRound] = useState<Round | null>(null);
  const [lots, setLots] = useState<Lot[]>([]);
  const [hospitalRows, setHospitalRows] = useState<HospitalDemand[]>([]);
  const [view, setView] = useState<DemandView | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [editing, setEditing] = useState<HospitalRow | null>(null);
  const isHospital = me?.role === 'hospital';

  const loadDemand = useCallback(async () => {
    const rows = await must(api.GET('/api/v1/rounds/{id}/hospital-demand', { params: { path: { id } } }));
    setHospitalRows(rows);
    if (!isHospital) setView(await must(api.GET('/api/v1/rounds/{id}/demand', { params: { path: { id } } })));
  }, [id, isHospital]);

  useEffect(() => {
    let alive = true;
    (async () => {
      try {
        const r = await must(api.GET('/api/v1/rounds/{id}', { params: { path: { id } } }));
        const page = await getJson<Page<Lot>>('/api/v1/rounds/{id}/lots', { per_page: 200 }, { id });
        if (!alive) return;
        setRound(r);
        setLots([...page.items].sort((a, b) => a.number - b.number));
        await loadDemand();
      } catch (e) {
        if (alive) setError(describe(t, has, e));
      }
    })();
    return () => {
      alive = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [id]);

  // hospitals' reports, one row per hospital
  const hospitals = useMemo(() => {
    const by = new Map<string, HospitalRow>();
    for (const r of hospitalRows) {
      let h = by.get(r.hospital_org_id);
      if (!h) {
        h = { hospital_org_id: r.hospital_org_id, hospital_name: r.hospital_name, values: {}, reportedAt: {} };
        by.set(r.hospital_org_id, h);
      }
      h.values[r.lot_id] = r.annual_quantity;
      h.reportedAt[r.lot_id] = r.reported_at;
    }
    return [...by.values()].sort((a, b) => a.hospital_name.localeCompare(b.hospital_name));
  }, [hospitalRows]);

  const own = useMemo(() => {
    const values: Record<string, number | undefined> = {};
    const at: Record<string, string | undefined> = {};
    if (isHospital) {
      for (const r of hospitalRows.filter((x) => x.hospital_org_id === me?.org_id)) {
        values[r.lot_id] = r.annual_quantity;
        at[r.lot_id] = r.reported_at;
      }
    } else {
      for (const r of view?.rows ?? []) {
        if (me?.province && r.province !== me.province) continue;
        values[r.lot_id] = r.annual_quantity;
        at[r.lot_id] = r.reported_at;
      }
    }
    return { values, at };
  }, [isHospital, hospitalRows, view, me]);

  if (error)
    return (
      <PageContainer title={t('menu.demand')}>
        <Alert type="error" showIcon message={error} />
      </PageContainer>
    );
  if (!round || !me) return <Loading />;

  const collecting = round.status === 'demand_collection';
  const byHospital = !isHospital && hospitals.length > 0;

  const saveHospital = (hospital_org_id?: string) => async (lines: DemandLine[]) => {
    await sendJson('PUT', '/api/v1/rounds/{id}/hospital-demand', { id }, hospital_org_id ? { hospital_org_id, lines } : { lines });
    await loadDemand();
  };
  const saveProvince = async (lines: DemandLine[]) => {
    await sendJson('PUT', '/api/v1/rounds/{id}/demand', { id }, { lines });
    await loadDemand();
  };

  return (
    <PageContainer
      title={`${t('menu.demand')} · ${round.name}`}
      subTitle={<RoundStatus status={round.status} />}
      content={
        <Typography.Text type="secondary">
          {isHospital
            ? t('supplier.demand.hospitalIntro', { org: me.org_name })
            : t('supplier.demand.provinceIntro', { province: provinceName(provinces, me.province, lang) })}
        </Typography.Text>
      }
    >
      <Space direction="vertical" size="middle" style={{ width: '100%' }}>
        {!collecting && (
          <Alert type="info" showIcon message={t('supplier.demand.frozen', { status: t(`round.status.${round.status}`) })} />
        )}
        {byHospital && collecting && <Alert type="info" showIcon message={t('supplier.demand.byHospital')} />}
        <Card title={isHospital ? t('supplier.demand.ownTitle') : t('supplier.demand.provinceTitle')}>
          <DemandTable
            lots={lots}
            values={own.values}
            reportedAt={own.at}
            editable={collecting && !byHospital}
            onSave={isHospital ? saveHospital() : saveProvince}
          />
        </Card>
        {!isHospital && hospitals.length > 0 && (
          <Card title={t('supplier.demand.hospitals')}>
            <Table<HospitalRow>
              rowKey="hospital_org_id"
              dataSource={hospitals}
              pagination={{ pageSize: 20, hideOnSinglePage: true }}
              scroll={{ x: 'max-content' }}
              columns={[
                { title: t('supplier.demand.hospital'), dataIndex: 'hospital_name' },
                ...lots.map((l) => ({
                  title: t('supplier.demand.lotColumn', { n: l.number, name: l.generic_name }),
                  key: l.id,
                  align: 'right' as const,
                  render: (_: unknown, h: HospitalRow) =>
                    h.values[l.id] === undefined ? (
                      <Typography.Text type="secondary">{t('supplier.demand.notReported')}</Typography.Text>
                    ) : (
                      h.values[l.id]!.toLocaleString()
                    ),
                })),
                {
                  title: t('common.actions'),
                  key: 'actions',
                  render: (_: unknown, h: HospitalRow) =>
                    collecting ? (
                      <Button size="small" onClick={() => setEditing(h)} data-testid={`demand-edit-${h.hospital_org_id}`}>
                        {t('supplier.demand.edit')}
                      </Button>
                    ) : null,
                },
              ]}
            />
          </Card>
        )}
      </Space>
      <Modal
        open={!!editing}
        title={editing ? t('supplier.demand.editTitle', { name: editing.hospital_name }) : ''}
        footer={null}
        width={820}
        onCancel={() => setEditing(null)}
        destroyOnHidden
      >
        {editing && (
          <DemandTable
            lots={lots}
            values={editing.values}
            reportedAt={editing.reportedAt}
            editable
            testPrefix="hospital-demand"
            onSave={async (lines) => {
              await saveHospital(editing.hospital_org_id)(lines);
              setEditing(null);
            }}
          />
        )}
      </Modal>
    </PageContainer>
  );
}
