// Every screen: its path, the roles that may open it, and its menu entry. Each screen is its
// own chunk (React.lazy), so a supplier's bid page never loads the officer's charts. The
// shell builds each role's menu from this table, and a path outside the caller's roles shows
// "forbidden" before anything is fetched (the server refuses it too).
import { lazy, type ComponentType, type LazyExoticComponent } from 'react';
import type { Role } from './auth';

export interface Screen {
  path: string;
  roles: Role[] | 'any';
  /** menu text key; screens without one are reached from other screens */
  menu?: string;
  /** menu group text key */
  group?: string;
  component: LazyExoticComponent<ComponentType>;
}

const officers: Role[] = ['procurement_officer'];
const oversight: Role[] = ['procurement_officer', 'auditor', 'admin'];
// one component for the list and for a complaint's own address (the mail notices' link), so
// opening and closing a complaint keeps the list as it was
const complaints = lazy(() => import('./pages/oversight/Complaints'));
const complaintReaders: Role[] = ['supplier', 'procurement_officer', 'auditor', 'admin'];

export const screens: Screen[] = [
  { path: '/', roles: 'any', menu: 'menu.home', component: lazy(() => import('./pages/Home')) },
  // tendering
  { path: '/catalog', roles: 'any', menu: 'menu.catalog', component: lazy(() => import('./pages/officer/Catalog')) },
  { path: '/rounds', roles: 'any', menu: 'menu.rounds', component: lazy(() => import('./pages/rounds/Rounds')) },
  { path: '/rounds/new', roles: officers, component: lazy(() => import('./pages/officer/RoundBuilder')) },
  { path: '/rounds/:id/manage', roles: oversight, component: lazy(() => import('./pages/officer/RoundManage')) },
  { path: '/rounds/:id/results', roles: 'any', component: lazy(() => import('./pages/officer/Results')) },
  { path: '/rounds/:id/bid', roles: ['supplier'], component: lazy(() => import('./pages/supplier/Bid')) },
  { path: '/rounds/:id/demand', roles: ['provincial_buyer', 'hospital'], component: lazy(() => import('./pages/buyer/Demand')) },
  // after the award
  {
    path: '/contracts',
    roles: ['supplier', 'provincial_buyer', 'insurer', 'hospital', 'distributor', 'procurement_officer', 'auditor', 'admin'],
    menu: 'menu.contracts',
    component: lazy(() => import('./pages/buyer/Contracts')),
  },
  {
    path: '/orders',
    roles: ['hospital', 'provincial_buyer', 'insurer', 'supplier', 'distributor', 'procurement_officer', 'auditor', 'admin'],
    menu: 'menu.orders',
    component: lazy(() => import('./pages/buyer/Orders')),
  },
  { path: '/orders/new', roles: ['hospital'], component: lazy(() => import('./pages/buyer/NewOrder')) },
  {
    path: '/deliveries',
    roles: ['hospital', 'provincial_buyer', 'insurer', 'supplier', 'distributor', 'procurement_officer', 'auditor', 'admin'],
    menu: 'menu.deliveries',
    component: lazy(() => import('./pages/buyer/Deliveries')),
  },
  {
    path: '/progress',
    roles: ['hospital', 'provincial_buyer', 'insurer', 'supplier', 'procurement_officer', 'auditor', 'admin'],
    menu: 'menu.progress',
    component: lazy(() => import('./pages/buyer/Progress')),
  },
  {
    path: '/supply-problems',
    roles: ['provincial_buyer', 'procurement_officer', 'auditor', 'admin'],
    menu: 'menu.supplyProblems',
    component: lazy(() => import('./pages/buyer/SupplyProblems')),
  },
  // settlement
  {
    path: '/settlement/prepayments',
    roles: ['insurer', 'hospital', 'auditor', 'admin'],
    menu: 'menu.prepayments',
    group: 'menu.settlement',
    component: lazy(() => import('./pages/insurer/Prepayments')),
  },
  {
    path: '/settlement/batches',
    roles: ['insurer', 'auditor', 'admin'],
    menu: 'menu.batches',
    group: 'menu.settlement',
    component: lazy(() => import('./pages/insurer/Batches')),
  },
  {
    path: '/settlement/payment-orders',
    roles: ['insurer', 'supplier', 'auditor', 'admin'],
    menu: 'menu.paymentOrders',
    group: 'menu.settlement',
    component: lazy(() => import('./pages/insurer/PaymentOrders')),
  },
  {
    path: '/settlement/overdue',
    roles: ['insurer', 'hospital', 'supplier', 'auditor', 'admin'],
    menu: 'menu.overdue',
    group: 'menu.settlement',
    component: lazy(() => import('./pages/insurer/Overdue')),
  },
  {
    path: '/settlement/statements',
    roles: ['insurer', 'hospital', 'supplier', 'auditor', 'admin'],
    menu: 'menu.statements',
    group: 'menu.settlement',
    component: lazy(() => import('./pages/insurer/Statements')),
  },
  {
    path: '/settlement/disputes',
    roles: ['insurer', 'supplier', 'auditor', 'admin'],
    menu: 'menu.disputes',
    group: 'menu.settlement',
    component: lazy(() => import('./pages/insurer/Disputes')),
  },
  // oversight: shortage warnings, price monitoring, complaints against results
  {
    path: '/oversight/warnings',
    roles: ['provincial_buyer', 'procurement_officer', 'auditor', 'admin'],
    menu: 'menu.warnings',
    group: 'menu.oversight',
    component: lazy(() => import('./pages/oversight/Warnings')),
  },
  {
    path: '/oversight/prices',
    roles: ['provincial_buyer', 'insurer', 'procurement_officer', 'auditor', 'admin'],
    menu: 'menu.prices',
    group: 'menu.oversight',
    component: lazy(() => import('./pages/oversight/Prices')),
  },
  { path: '/complaints', roles: complaintReaders, menu: 'menu.complaints', group: 'menu.oversight', component: complaints },
  { path: '/complaints/:id', roles: complaintReaders, component: complaints },
  // audit and administration
  { path: '/audit', roles: ['auditor'], menu: 'menu.audit', component: lazy(() => import('./pages/admin/Audit')) },
  { path: '/admin/orgs', roles: ['admin', 'auditor'], menu: 'menu.orgs', component: lazy(() => import('./pages/admin/Orgs')) },
  { path: '/admin/users', roles: ['admin', 'auditor'], menu: 'menu.users', component: lazy(() => import('./pages/admin/Users')) },
  { path: '/admin/jobs', roles: ['admin'], menu: 'menu.jobs', component: lazy(() => import('./pages/admin/Jobs')) },
];

export function allows(screen: Screen, role: Role): boolean {
  return screen.roles === 'any' || screen.roles.includes(role);
}
