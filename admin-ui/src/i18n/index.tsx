// Chinese (the default) and English. Texts live in one dictionary per area (common, errors,
// and one per role's screens); each area gives both languages with the same keys, checked by
// `Messages` at build time. Ant Design's own texts follow through its locales.
import { createContext, useCallback, useContext, useMemo, useState, type ReactNode } from 'react';
import { ConfigProvider, App as AntApp } from 'antd';
import zhCN from 'antd/locale/zh_CN';
import enUS from 'antd/locale/en_US';
import dayjs from 'dayjs';
import 'dayjs/locale/zh-cn';
import common from './common';
import errors from './errors';
import officer from './officer';
import supplier from './supplier';
import buyer from './buyer';
import insurer from './insurer';
import admin from './admin';
import oversight from './oversight';

export type Lang = 'zh' | 'en';
/** An area's texts: the same keys in both languages. */
export type Messages<K extends string> = { zh: Record<K, string>; en: Record<K, string> };

const areas = [common, errors, officer, supplier, buyer, insurer, admin, oversight] as Messages<string>[];
const dictionary: Record<Lang, Record<string, string>> = {
  zh: Object.assign({}, ...areas.map((a) => a.zh)),
  en: Object.assign({}, ...areas.map((a) => a.en)),
};

export type T = (key: string, vars?: Record<string, string | number | undefined | null>) => string;

interface I18n {
  lang: Lang;
  setLang: (l: Lang) => void;
  t: T;
  /** Whether a text exists (errors: a code the UI knows). */
  has: (key: string) => boolean;
}

const Ctx = createContext<I18n | null>(null);
const LANG_KEY = 'vbp.lang';

function initialLang(): Lang {
  const stored = localStorage.getItem(LANG_KEY);
  return stored === 'en' ? 'en' : 'zh';
}

export function LangProvider({ children }: { children: ReactNode }) {
  const [lang, setLangState] = useState<Lang>(initialLang);
  const setLang = useCallback((l: Lang) => {
    localStorage.setItem(LANG_KEY, l);
    document.documentElement.lang = l === 'zh' ? 'zh-CN' : 'en';
    dayjs.locale(l === 'zh' ? 'zh-cn' : 'en');
    setLangState(l);
  }, []);
  const value = useMemo<I18n>(() => {
    const texts = dictionary[lang];
    document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
    dayjs.locale(lang === 'zh' ? 'zh-cn' : 'en');
    return {
      lang,
      setLang,
      has: (key) => key in texts,
      t: (key, vars) => {
        let s = texts[key] ?? dictionary.zh[key] ?? key;
        if (vars) for (const [k, v] of Object.entries(vars)) s = s.split(`{${k}}`).join(v == null ? '' : String(v));
        return s;
      },
    };
  }, [lang, setLang]);
  return (
    <Ctx.Provider value={value}>
      <ConfigProvider
        locale={lang === 'zh' ? zhCN : enUS}
        theme={{
          token: {
            colorPrimary: '#a61d24',
            borderRadius: 4,
            // secondary and help texts dark enough for WCAG AA contrast (4.5:1) on white
            colorTextSecondary: 'rgba(0, 0, 0, 0.65)',
            colorTextTertiary: 'rgba(0, 0, 0, 0.6)',
            colorTextDescription: 'rgba(0, 0, 0, 0.62)',
            colorTextPlaceholder: 'rgba(0, 0, 0, 0.55)',
            colorLink: '#0958d9',
            colorLinkHover: '#1677ff',
            colorInfo: '#0958d9',
            colorError: '#cf1322',
            colorSuccess: '#237804',
            colorWarning: '#ad4e00',
          },
        }}
      >
        <AntApp>{children}</AntApp>
      </ConfigProvider>
    </Ctx.Provider>
  );
}

export function useI18n(): I18n {
  const v = useContext(Ctx);
  if (!v) throw new Error('useI18n outside LangProvider');
  return v;
}
