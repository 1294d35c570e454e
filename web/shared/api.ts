// Same-origin calls to a UI's session API (cookie set by the gateway, HttpOnly): JSON in, JSON or
// a problem document out. Nothing is cached or stored by the page.
export class ApiError extends Error {
    constructor(
        readonly status: number,
        readonly code: string,
        message: string,
    ) {
        super(message);
    }
}

export function api(base: string) {
    return async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
        const res = await fetch(`${base}${path}`, {
            method,
            credentials: 'same-origin',
            cache: 'no-store',
            headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
            body: body === undefined ? undefined : JSON.stringify(body),
        });
        if (res.status === 204) return undefined as T;
        const data = await res.json().catch(() => ({}));
        if (!res.ok) {
            const p = data as { code?: string; detail?: string; title?: string };
            throw new ApiError(res.status, p.code ?? `HTTP_${res.status}`, p.detail ?? p.title ?? res.statusText);
        }
        return data as T;
    };
}

export const query = (params: Record<string, string | number | undefined>): string => {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, String(v));
    const s = q.toString();
    return s ? `?${s}` : '';
};
