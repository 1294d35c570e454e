// One table shape for both UIs: a caption (visible or for screen readers only), column headers
// with scope, and a row saying so when there is nothing to show.
import type { ComponentChildren } from 'preact';

export function Table(props: {
    id?: string;
    class?: string;
    caption: ComponentChildren;
    hideCaption?: boolean;
    headers: ComponentChildren[];
    /** Shown in one row when `count` is 0. */
    empty?: string;
    count: number;
    children: ComponentChildren;
}) {
    return (
        <table id={props.id} class={props.class}>
            <caption class={props.hideCaption ? 'sr-only' : undefined}>{props.caption}</caption>
            <thead>
                <tr>
                    {props.headers.map((h, i) => (
                        <th key={i} scope="col">
                            {h}
                        </th>
                    ))}
                </tr>
            </thead>
            <tbody>
                {props.count === 0 && props.empty && (
                    <tr>
                        <td colSpan={props.headers.length}>{props.empty}</td>
                    </tr>
                )}
                {props.children}
            </tbody>
        </table>
    );
}
