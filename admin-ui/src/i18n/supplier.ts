import type { Messages } from '.';

// texts of this area's screens: add keys to both languages
const zh = {} satisfies Record<string, string>;
const en: Record<keyof typeof zh, string> = {};

export default { zh, en } satisfies Messages<keyof typeof zh>;
