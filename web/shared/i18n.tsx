// Korean and English. The language follows the browser at first; the switch is not stored.
import { createContext, type ComponentChildren } from 'preact';
import { useCallback, useContext, useEffect, useState } from 'preact/hooks';

export type Lang = 'ko' | 'en';
export type Dict = Record<string, { en: string; ko: string }>;

const LangContext = createContext<{ lang: Lang; setLang(l: Lang): void }>({ lang: 'en', setLang: () => undefined });

export function LangProvider(props: { children: ComponentChildren }) {
    const [lang, setLang] = useState<Lang>(navigator.language.toLowerCase().startsWith('ko') ? 'ko' : 'en');
    useEffect(() => {
        document.documentElement.lang = lang;
    }, [lang]);
    return <LangContext.Provider value={{ lang, setLang }}>{props.children}</LangContext.Provider>;
}

/** t(key, vars) in the current language; {name} in a text is replaced by vars.name. */
export function useT(dict: Dict) {
    const { lang } = useContext(LangContext);
    return useCallback(
        (key: string, vars: Record<string, string | number> = {}) => {
            const text = dict[key]?.[lang] ?? key;
            return text.replace(/\{(\w+)\}/g, (_, k: string) => String(vars[k] ?? ''));
        },
        [dict, lang],
    );
}

export function useLang() {
    return useContext(LangContext);
}

export function LangSwitch() {
    const { lang, setLang } = useLang();
    const other: Lang = lang === 'ko' ? 'en' : 'ko';
    return (
        <button type="button" class="lang" lang={other} onClick={() => setLang(other)}>
            {other === 'ko' ? '한국어' : 'English'}
        </button>
    );
}

export function formatTime(iso: string, lang: Lang): string {
    if (!iso) return '';
    return new Date(iso).toLocaleString(lang === 'ko' ? 'ko-KR' : 'en-GB', { dateStyle: 'medium', timeStyle: 'medium' });
}
