// Private data across orgs on the product's test network (test/e2e/privatedata.ts): Seoul writes,
// MOIS is the other member of the fixture's shared collections, MOHW is outside them.
import { describePrivateData } from './privatedata';
import { controlledNodes, NETWORK_LABEL, testNetwork } from './network';

describePrivateData(
    `private data across orgs on ${NETWORK_LABEL}`,
    async () => {
        const network = await testNetwork();
        return { topology: network.topology, nodes: controlledNodes(network) };
    },
    { writer: 'SeoulMSP', member: 'MOISMSP', outsider: 'MOHWMSP' },
);
