// Asks a peer's discovery service which peers can endorse a chaincode, as the peer gateway does
// before each endorsement: the readiness check of real Fabric (gossip takes a while to find the
// other orgs' peers after they join), instead of a sleep.
import * as crypto from 'node:crypto';
import { discovery, msp, peer } from '@hyperledger/fabric-protos';
import { Topology } from '../client/topology';
import { newPeerClient, loadUser } from '../client/connection';
import { serializeIdentity } from '../devnet/msp/identity';

export interface EndorsementPlan {
    /** True when at least one layout of the chaincode's policy can be met by known peers. */
    satisfiable: boolean;
    /** How many peers discovery offers as endorsers. */
    endorsers: number;
    /** The MSP ids of the peers it offers. */
    orgs: string[];
    /** Discovery's error, if it gave one (e.g. "no peer combination can satisfy the endorsement policy"). */
    error?: string;
}

export async function endorsementPlan(t: Topology, mspId: string, chaincode: string): Promise<EndorsementPlan> {
    const user = loadUser(t, mspId, 'Admin');
    const auth = new discovery.AuthInfo();
    auth.setClientIdentity(serializeIdentity(mspId, Buffer.from(user.identity.credentials).toString()));
    // No client certificate on the TLS connection: the hash stays empty.
    const call = new peer.ChaincodeCall();
    call.setName(chaincode);
    const interest = new peer.ChaincodeInterest();
    interest.addChaincodes(call);
    const ccQuery = new discovery.ChaincodeQuery();
    ccQuery.addInterests(interest);
    const query = new discovery.Query();
    query.setChannel(t.channel);
    query.setCcQuery(ccQuery);
    const request = new discovery.Request();
    request.setAuthentication(auth);
    request.addQueries(query);
    const payload = request.serializeBinary();
    const signed = new discovery.SignedRequest();
    signed.setPayload(payload);
    signed.setSignature(await user.signer(crypto.createHash('sha256').update(payload).digest()));

    const client = newPeerClient(t, mspId);
    try {
        const response = await new Promise<discovery.Response>((resolve, reject) => {
            client.makeUnaryRequest(
                '/discovery.Discovery/Discover',
                (m: discovery.SignedRequest) => Buffer.from(m.serializeBinary()),
                (b: Buffer) => discovery.Response.deserializeBinary(b),
                signed,
                { deadline: Date.now() + 10_000 },
                (err, value) => (err || !value ? reject(err ?? new Error('no discovery response')) : resolve(value)),
            );
        });
        const [result] = response.getResultsList();
        const error = result?.getError()?.getContent();
        if (!result || error) return { satisfiable: false, endorsers: 0, orgs: [], error: error ?? 'empty discovery response' };
        const descriptor = result.getCcQueryRes()?.getContentList()[0];
        if (!descriptor) return { satisfiable: false, endorsers: 0, orgs: [], error: 'no endorsement descriptor' };
        const byGroup = descriptor.getEndorsersByGroupsMap();
        let endorsers = 0;
        const orgs = new Set<string>();
        byGroup.forEach((peers) => {
            endorsers += peers.getPeersList().length;
            for (const p of peers.getPeersList()) orgs.add(msp.SerializedIdentity.deserializeBinary(p.getIdentity_asU8()).getMspid());
        });
        const satisfiable = descriptor.getLayoutsList().some((layout) => {
            let ok = true;
            layout.getQuantitiesByGroupMap().forEach((quantity, group) => {
                ok &&= (byGroup.get(group)?.getPeersList().length ?? 0) >= quantity;
            });
            return ok;
        });
        return { satisfiable, endorsers, orgs: [...orgs].sort() };
    } finally {
        client.close();
    }
}
