// A stacked bar chart in plain SVG (no chart library: a few lines, no inline styles, so the
// strict CSP holds); the same numbers are in a table next to it for screen readers.
export interface Series {
    label: string;
    color: string;
    values: number[];
}

/** Colour-blind-safe palette (Okabe-Ito), each dark enough against white. */
export const PALETTE = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#7a5c00', '#56468f', '#b8336a', '#3b6e3b'];

export function StackedBars(props: { title: string; labels: string[]; series: Series[] }) {
    const width = 760;
    const height = 260;
    const pad = { left: 40, right: 10, top: 10, bottom: 40 };
    const totals = props.labels.map((_, i) => props.series.reduce((n, s) => n + s.values[i], 0));
    const max = Math.max(1, ...totals);
    const band = (width - pad.left - pad.right) / Math.max(1, props.labels.length);
    const y = (v: number) => ((height - pad.top - pad.bottom) * v) / max;
    const ticks = [0, Math.ceil(max / 2), max];
    return (
        <svg viewBox={`0 0 ${width} ${height}`} role="img" aria-label={props.title}>
            {ticks.map((v) => (
                <g key={v}>
                    <line
                        x1={pad.left}
                        x2={width - pad.right}
                        y1={height - pad.bottom - y(v)}
                        y2={height - pad.bottom - y(v)}
                        stroke="#c9ced6"
                    />
                    <text x={pad.left - 6} y={height - pad.bottom - y(v) + 4} text-anchor="end" font-size="11" fill="#1a1a1a">
                        {v}
                    </text>
                </g>
            ))}
            {props.labels.map((label, i) => {
                let base = height - pad.bottom;
                return (
                    <g key={label}>
                        {props.series.map((s) => {
                            const h = y(s.values[i]);
                            base -= h;
                            return h > 0 ? (
                                <rect
                                    key={s.label}
                                    x={pad.left + i * band + band * 0.15}
                                    width={band * 0.7}
                                    y={base}
                                    height={h}
                                    fill={s.color}
                                >
                                    <title>{`${label} · ${s.label}: ${s.values[i]}`}</title>
                                </rect>
                            ) : null;
                        })}
                        <text
                            x={pad.left + i * band + band / 2}
                            y={height - pad.bottom + 14}
                            text-anchor="middle"
                            font-size="10"
                            fill="#1a1a1a"
                        >
                            {label}
                        </text>
                    </g>
                );
            })}
        </svg>
    );
}
