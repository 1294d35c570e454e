// Which transaction ids a block store may hold, in bounded memory: a Bloom filter that grows by
// layers (each twice the capacity of the one before, about 10 bits and 7 probes an id: about 1 %
// false positives). "Absent" is certain, so the endorser's replay check and the validator's
// duplicate check skip LevelDB for nearly every new transaction; "maybe" is asked of LevelDB, which
// holds the truth. 10 million ids take about 19 MB, where a Set of them took about 2 GB.

const PROBES = 7;
const BITS_PER_ID = 10;
const FIRST_CAPACITY = 1 << 20;

interface Layer {
    bits: Uint32Array;
    /** Bits in the layer (a multiple of 32). */
    size: number;
    capacity: number;
    count: number;
}

/** FNV-1a over the UTF-16 code units of s, from a seed: two seeds give the two hashes of double hashing. */
function fnv1a(s: string, seed: number): number {
    let h = seed >>> 0;
    for (let i = 0; i < s.length; i++) {
        h ^= s.charCodeAt(i);
        h = Math.imul(h, 0x01000193) >>> 0;
    }
    return h;
}

/** The two hashes of an id (the second odd, so that the probes differ). */
const hashes = (id: string): [number, number] => [fnv1a(id, 0x811c9dc5), fnv1a(id, 0x9747b28c) | 1];

/** The bit of probe i in a layer of `size` bits: double hashing, h1 + i * h2. */
const probe = (h1: number, h2: number, i: number, size: number): number => ((h1 + Math.imul(i, h2)) >>> 0) % size;

export class TxIdFilter {
    readonly #layers: Layer[] = [];

    constructor(readonly firstCapacity = FIRST_CAPACITY) {
        this.#grow();
    }

    #grow(): void {
        const last = this.#layers[this.#layers.length - 1];
        const capacity = last ? last.capacity * 2 : this.firstCapacity;
        const size = Math.ceil((capacity * BITS_PER_ID) / 32) * 32;
        this.#layers.push({ bits: new Uint32Array(size / 32), size, capacity, count: 0 });
    }

    /** Ids added (an id added twice counts twice). */
    get count(): number {
        return this.#layers.reduce((n, l) => n + l.count, 0);
    }

    /** Bytes of its bit arrays. */
    get bytes(): number {
        return this.#layers.reduce((n, l) => n + l.bits.byteLength, 0);
    }

    add(id: string): void {
        let layer = this.#layers[this.#layers.length - 1];
        if (layer.count >= layer.capacity) {
            this.#grow();
            layer = this.#layers[this.#layers.length - 1];
        }
        const [h1, h2] = hashes(id);
        for (let i = 0; i < PROBES; i++) {
            const at = probe(h1, h2, i, layer.size);
            layer.bits[at >>> 5] |= 1 << (at & 31);
        }
        layer.count++;
    }

    /** False: the id was never added. True: it may have been. */
    mightHave(id: string): boolean {
        const [h1, h2] = hashes(id);
        for (const layer of this.#layers) {
            let all = true;
            for (let i = 0; i < PROBES && all; i++) {
                const at = probe(h1, h2, i, layer.size);
                all = (layer.bits[at >>> 5] & (1 << (at & 31))) !== 0;
            }
            if (all) return true;
        }
        return false;
    }
}
