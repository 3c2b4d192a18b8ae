// A directory's key pair on the swarm, derived from its store's primary key under a name no log uses:
// the same for every run on one directory. It is also the instance a handover seal names (§18).

import type Corestore from 'corestore'

const SWARM_IDENTITY = 'glassbox/swarm-identity'

export async function swarmKeyPair(corestore: Corestore): Promise<{ publicKey: Buffer; secretKey: Buffer }> {
  return corestore.createKeyPair(SWARM_IDENTITY)
}
