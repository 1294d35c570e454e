// Every relative link in the README and docs/ resolves: to a file or folder of the repository and,
// for a Markdown target with #anchor, to one of its headings (GitHub's slugs). A path named in
// inline code under one of the repository's own folders (`gateway/log.ts`) exists too.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { expect } from 'chai';
import { REPO_ROOT } from '../../../network/client/topology';

const DOCS = ['README.md', ...fs.readdirSync(path.join(REPO_ROOT, 'docs')).map((f) => path.join('docs', f))].filter((f) =>
    f.endsWith('.md'),
);

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
function slug(heading: string): string {
    return heading
        .trim()
        .toLowerCase()
        .replace(/[`*_]/g, '')
        .replace(/[^\p{L}\p{N} -]/gu, '')
        .replace(/ /g, '-');
}

function anchors(file: string): Set<string> {
    const text = fs.readFileSync(file, 'utf8').replace(/```[\s\S]*?```/g, '');
    return new Set([...text.matchAll(/^#{1,6} (.+)$/gm)].map((m) => slug(m[1])));
}

/** [text](target) outside code blocks and inline code; absolute URLs are not checked here. */
function relativeLinks(file: string): string[] {
    const text = fs
        .readFileSync(path.join(REPO_ROOT, file), 'utf8')
        .replace(/```[\s\S]*?```/g, '')
        .replace(/`[^`\n]*`/g, '');
    return [...text.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]).filter((target) => !/^[a-z][a-z0-9+.-]*:/i.test(target));
}

const OWN_FOLDERS = ['chaincode', 'gateway', 'network', 'test', 'docs', 'scripts'];

/** Inline-code paths such as `network/commands/cli.ts` or `test/bench/` (not placeholders such as <domain>). */
function namedPaths(file: string): string[] {
    const text = fs.readFileSync(path.join(REPO_ROOT, file), 'utf8').replace(/```[\s\S]*?```/g, '');
    return [...text.matchAll(/`([A-Za-z0-9_./-]+)`/g)].map((m) => m[1]).filter((p) => OWN_FOLDERS.some((dir) => p.startsWith(`${dir}/`)));
}

describe('documentation links', () => {
    it('Given the README and docs/, Then they exist and hold relative links to check', () => {
        expect(DOCS).to.include('README.md');
        expect(DOCS.flatMap(relativeLinks).length).to.be.greaterThan(5);
    });

    for (const doc of DOCS) {
        it(`Given ${doc}, When every relative link is followed, Then its file and heading exist`, () => {
            const broken: string[] = [];
            for (const link of relativeLinks(doc)) {
                const [target, anchor] = link.split('#');
                const file = target ? path.resolve(REPO_ROOT, path.dirname(doc), decodeURI(target)) : path.join(REPO_ROOT, doc);
                if (!fs.existsSync(file)) broken.push(`${link} (no such file)`);
                else if (anchor && file.endsWith('.md') && !anchors(file).has(anchor)) broken.push(`${link} (no such heading)`);
            }
            expect(broken, `broken links in ${doc}`).to.deep.equal([]);
        });
    }

    for (const doc of DOCS) {
        it(`Given ${doc}, When a path of the repository is named in code, Then it exists`, () => {
            const missing = namedPaths(doc).filter((p) => !fs.existsSync(path.join(REPO_ROOT, p)));
            expect(missing, `paths named in ${doc}`).to.deep.equal([]);
        });
    }

    it('slug follows GitHub: "The API in one screen" -> the-api-in-one-screen, "`npm start`: output" -> npm-start-output', () => {
        expect(slug('The API in one screen')).to.equal('the-api-in-one-screen');
        expect(slug('`npm start`: output')).to.equal('npm-start-output');
    });
});
