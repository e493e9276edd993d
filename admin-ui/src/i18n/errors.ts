import type { Messages } from '.';

// `err.<code>`: the problem codes of docs/api.md, said to people; the server's detail follows.
const zh = {
  'err.network': '无法连接服务器，请检查网络后重试。',
  'err.validation': '输入有误',
  'err.unauthorized': '请先登录',
  'err.forbidden': '无权执行此操作',
  'err.not_found': '未找到',
  'err.conflict': '与当前状态冲突',
  'err.unknown': '操作失败',
};
const en: Record<keyof typeof zh, string> = {
  'err.network': 'The server cannot be reached; check the network and try again.',
  'err.validation': 'Some input is invalid',
  'err.unauthorized': 'Please sign in',
  'err.forbidden': 'You may not do this',
  'err.not_found': 'Not found',
  'err.conflict': 'This conflicts with the current state',
  'err.unknown': 'The operation failed',
};

export default { zh, en } satisfies Messages<keyof typeof zh>;
