// The frame both UIs share: a header (title, who is signed in, sign-out, language) and the main
// area with an alert for the last error.
import type { ComponentChildren } from 'preact';
import { LangSwitch, useT } from './i18n';

const TEXT = {
    error: { en: 'Error: {message}', ko: '오류: {message}' },
};

export function ErrorAlert(props: { message: string }) {
    const t = useT(TEXT);
    if (!props.message) return null;
    return (
        <p role="alert" class="error">
            {t('error', { message: props.message })}
        </p>
    );
}

export function Frame(props: {
    title: string;
    status?: ComponentChildren;
    signOut?: { label: string; onClick(): void };
    error: string;
    children: ComponentChildren;
}) {
    return (
        <>
            <header class="top">
                <h1>{props.title}</h1>
                {props.status}
                {props.signOut && (
                    <button type="button" onClick={props.signOut.onClick}>
                        {props.signOut.label}
                    </button>
                )}
                <LangSwitch />
            </header>
            <main>
                <ErrorAlert message={props.error} />
                {props.children}
            </main>
        </>
    );
}

/** A titled region: the heading names the section for assistive technology. */
export function Section(props: { id: string; title: ComponentChildren; class?: string; children: ComponentChildren }) {
    return (
        <section aria-labelledby={`${props.id}-title`} class={props.class}>
            <h2 id={`${props.id}-title`}>{props.title}</h2>
            {props.children}
        </section>
    );
}
