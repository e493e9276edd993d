// A list the server pages, filters and sorts: ProTable over any list route of the document
// (`{items, page, per_page, total}`). The form's values go to the route as query parameters;
// `params` adds fixed ones (a round, a status tab); a column with `sorter: true` sorts by the
// route's `sort` parameter (`field` or `-field`, the column's dataIndex); others keep the
// server's order.
import { ProTable, type ActionType, type ProColumns } from '@ant-design/pro-components';
import { App } from 'antd';
import { useRef, type ReactNode, type Ref, useImperativeHandle } from 'react';
import { getJson, type GetPath, type Page } from '../api/client';
import { describe } from '../api/problem';
import { useI18n } from '../i18n';

export interface ServerTableProps<T> {
  path: GetPath;
  pathParams?: Record<string, string | number>;
  /** fixed query parameters */
  params?: Record<string, unknown>;
  columns: ProColumns<T>[];
  rowKey: string | ((row: T) => string);
  /** false hides the filter form */
  search?: false;
  toolbar?: ReactNode[];
  headerTitle?: ReactNode;
  expandable?: { expandedRowRender: (row: T) => ReactNode; columnTitle?: ReactNode };
  /** lets the caller reload the list after an action */
  tableRef?: Ref<{ reload: () => void }>;
  pageSize?: number;
}

export default function ServerTable<T extends Record<string, unknown>>(props: ServerTableProps<T>) {
  const { t, has } = useI18n();
  const { message } = App.useApp();
  const action = useRef<ActionType>(undefined);
  useImperativeHandle(props.tableRef, () => ({ reload: () => action.current?.reload() }), []);
  return (
    <ProTable<T>
      actionRef={action}
      rowKey={props.rowKey as string}
      columns={props.columns}
      params={props.params}
      headerTitle={props.headerTitle}
      search={props.search === false ? false : { labelWidth: 'auto', searchText: t('common.search'), resetText: t('common.reset') }}
      toolBarRender={props.toolbar ? () => props.toolbar ?? [] : undefined}
      options={{ reload: true, density: false, setting: false }}
      expandable={props.expandable}
      scroll={{ x: 'max-content' }}
      pagination={{ defaultPageSize: props.pageSize ?? 20, showSizeChanger: true, pageSizeOptions: [10, 20, 50, 100] }}
      request={async (form, sorter) => {
        const { current, pageSize, ...filters } = form;
        const [field, order] = Object.entries(sorter ?? {}).find(([, o]) => o) ?? [];
        const sort = field ? `${order === 'descend' ? '-' : ''}${field}` : undefined;
        try {
          const page = await getJson<Page<T>>(props.path, { ...filters, sort, page: current, per_page: pageSize }, props.pathParams);
          return { data: page.items, total: page.total, success: true };
        } catch (e) {
          message.error(describe(t, has, e));
          return { data: [], total: 0, success: false };
        }
      }}
    />
  );
}
