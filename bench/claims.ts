// Claims and light clients (docs/protocol.md §11), each beside a baseline measured in the same run:
// - claim checks per second (both monitor signatures, the executor's seal signature, the checkpoint
//   text), against bare Ed25519 verifications of the same size;
// - a light client's read over loopback HTTP (fetch the state proof, check it, weigh the claims),
//   against a plain read of the same key without a proof;
// - RFC 9162 inclusion and consistency proof sizes at 10^3..10^6 entries, and the time to build
//   one from the leaf hashes (the accumulator is rebuilt from them per proof).
// Run alone with BENCH=claims (BENCH_ACCUMULATOR_SIZES=1000,10000 to pick sizes).

import { mkdtemp, readFile, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import sodium from 'sodium-native'
import { checkClaimAbout, signClaim, type Claim } from '../src/claims/claim.js'
import { Claimer } from '../src/claims/claimer.js'
import { ClaimsLog } from '../src/claims/claims-log.js'
import { LightClient } from '../src/claims/light-client.js'
import { TRUST_FORMAT } from '../src/claims/trust-file.js'
import { toHex } from '../src/codec/hash.js'
import { sign, verifySignature } from '../src/codec/sign.js'
import { consistencyProof, inclusionProof, leafHash, peakCount, rootOfPeaks } from '../src/log/accumulator.js'
import { parseVerifierKey } from '../src/codec/signed-note.js'
import { keyOfSigner, signSeal } from '../src/log/seal.js'
import { LogStore } from '../src/log/store.js'
import { Database } from '../src/index.js'
import { startHttpApi } from '../src/net/http/server.js'

const progress = (msg: string) => process.stderr.write(msg + '\n')

function keyPair(seed: number): { publicKey: Buffer; secretKey: Buffer } {
  const publicKey = Buffer.alloc(32)
  const secretKey = Buffer.alloc(64)
  sodium.crypto_sign_seed_keypair(publicKey, secretKey, Buffer.alloc(32, seed))
  return { publicKey, secretKey }
}

/** Claims by one monitor about `n` seals of one executor, each a valid link of its chain. */
function claimsFor(n: number): { database: string; claims: Claim[] } {
  const executor = keyPair(1)
  const monitor = keyPair(2)
  const key = keyOfSigner(executor.publicKey)
  const claims: Claim[] = []
  let previous = { length: 0, stateRoot: '00'.repeat(32) }
  for (let i = 1; i <= n; i++) {
    const length = i * 257
    const stateRoot = Buffer.alloc(32, i % 251)
    const treeHash = Buffer.alloc(32, (i * 7) % 251)
    const peaks = Array.from({ length: peakCount(length) }, (_, j) => Buffer.alloc(32, (i * 3 + j) % 251))
    const positions = Buffer.alloc(32, (i * 5) % 251)
    const seal = signSeal(key, executor.secretKey, { length, treeHash, stateRoot, positions, peaks })
    const claim = signClaim(
      {
        database: toHex(key),
        length,
        previousLength: previous.length,
        previousStateRoot: previous.stateRoot,
        entriesRoot: toHex(rootOfPeaks(peaks)),
        stateRoot: toHex(stateRoot),
        treeHash: toHex(treeHash),
        positions: toHex(positions),
        signer: toHex(executor.publicKey),
        sealSignature: toHex(seal.signature),
        time: 1_767_225_600 + i,
        monitor: toHex(monitor.publicKey),
      },
      monitor.secretKey,
    )
    claims.push(claim)
    previous = { length, stateRoot: claim.stateRoot }
  }
  return { database: toHex(key), claims }
}

function claimCheckRate(n: number): { claims: number; ed25519: number } {
  const { database, claims } = claimsFor(n)
  let start = performance.now()
  for (const c of claims) checkClaimAbout(c, database)
  const claimsPerSecond = n / ((performance.now() - start) / 1000)
  const { publicKey, secretKey } = keyPair(3)
  const message = Buffer.alloc(300, 7)
  const signature = sign(message, secretKey)
  start = performance.now()
  for (let i = 0; i < n; i++) verifySignature(signature, message, publicKey)
  const ed25519PerSecond = n / ((performance.now() - start) / 1000)
  return { claims: claimsPerSecond, ed25519: ed25519PerSecond }
}

async function lightReadLatency(reads: number): Promise<{ lightMs: number; plainMs: number; provenMs: number }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'glassbox-bench-light-'))
  const claimsDir = await mkdtemp(path.join(os.tmpdir(), 'glassbox-bench-claims-'))
  const contract = await readFile(path.join(process.cwd(), 'examples', 'kv-store.js'), 'utf8')
  const db = await Database.create(dir, { contract })
  const store = new LogStore(claimsDir)
  try {
    for (let i = 0; i < 20; i++) await (await db.call('put', { key: `k${i}`, value: i })).whenProcessed()
    await store.ready()
    const monitor = await db.monitor()
    const signer = toHex(parseVerifierKey((await db.checkpoint()).verifierKey).publicKey)
    const claimer = await Claimer.attach(monitor, new ClaimsLog(await store.localClaims()), db.key, signer)
    while ((await monitor.verifyToHead()).verified < db.length);
    await claimer.settled()
    const api = await startHttpApi({ db, monitor, claims: claimer.log, port: 0, token: null })
    try {
      const light = new LightClient({ format: TRUST_FORMAT, database: db.key, executor: api.url, threshold: 1, monitors: [{ key: claimer.log.monitor, weight: 1, url: api.url }] })
      await light.sync()
      const time = async (fn: () => Promise<unknown>): Promise<number> => {
        const start = performance.now()
        for (let i = 0; i < reads; i++) await fn()
        return (performance.now() - start) / reads
      }
      const key = (i: number) => `/values/k${i % 20}`
      let i = 0
      const plain = () => time(() => fetch(`${api.url}/v1/state/${encodeURIComponent(key(i++))}`).then((r) => r.json()))
      const proven = () => time(() => fetch(`${api.url}/v1/state/${encodeURIComponent(key(i++))}?proof=true`).then((r) => r.json()))
      const lightRead = () =>
        time(async () => {
          const read = await light.read(key(i++))
          if (!read.guarantee.trusted) throw new Error(`an untrusted read in the bench: ${read.guarantee.statement}`)
        })
      // Two rounds, in turn, the best of each: the first round also warms up the code paths.
      const best = { plainMs: Infinity, provenMs: Infinity, lightMs: Infinity }
      for (let round = 0; round < 2; round++) {
        best.plainMs = Math.min(best.plainMs, await plain())
        best.provenMs = Math.min(best.provenMs, await proven())
        best.lightMs = Math.min(best.lightMs, await lightRead())
      }
      return best
    } finally {
      await api.close()
    }
  } finally {
    await db.close()
    await store.close()
    await rm(dir, { recursive: true, force: true })
    await rm(claimsDir, { recursive: true, force: true })
  }
}

function accumulatorProofs(sizes: number[]): { n: number; inclusion: number; inclusionBytes: number; consistency: number; consistencyBytes: number; buildMs: number }[] {
  const rows = []
  const leaves: Uint8Array[] = []
  for (const n of sizes) {
    while (leaves.length < n) leaves.push(leafHash(Buffer.from(`entry ${leaves.length}`)))
    const start = performance.now()
    const inc = inclusionProof(leaves, Math.floor(n / 3), n)
    const buildMs = performance.now() - start
    const con = consistencyProof(leaves, Math.floor(n / 2) + 1, n)
    const bytes = (hashes: Uint8Array[]) => JSON.stringify(hashes.map((h) => Buffer.from(h).toString('base64'))).length
    rows.push({ n, inclusion: inc.length, inclusionBytes: bytes(inc), consistency: con.length, consistencyBytes: bytes(con), buildMs })
  }
  return rows
}

export async function runClaimsBench(): Promise<void> {
  progress('bench: claims, checking…')
  const rate = claimCheckRate(2000)
  console.log('claims: checks per second (two monitor signatures, the executor seal signature, the checkpoint text)')
  console.log(`  claims/s ${rate.claims.toFixed(0)}   Ed25519 verifications/s ${rate.ed25519.toFixed(0)}   one claim = ${(rate.ed25519 / rate.claims).toFixed(1)} verifications`)
  progress('bench: claims, light client reads…')
  const read = await lightReadLatency(50)
  console.log('light client read over loopback HTTP, mean of 50, best of 2 rounds (fetch the state proof, check it, weigh the claims)')
  console.log(`  plain read ${read.plainMs.toFixed(2)} ms   read with proof ${read.provenMs.toFixed(2)} ms   light client ${read.lightMs.toFixed(2)} ms   light/plain ${(read.lightMs / read.plainMs).toFixed(1)}x   light/proof ${(read.lightMs / read.provenMs).toFixed(1)}x`)
  const sizes = (process.env.BENCH_ACCUMULATOR_SIZES ?? '1000,10000,100000,1000000').split(',').map(Number)
  progress('bench: claims, accumulator proofs…')
  console.log('RFC 9162 proofs over n entries (hashes; JSON bytes as served), built from the leaf hashes')
  console.log('         n  inclusion    bytes  consistency    bytes   build ms')
  for (const r of accumulatorProofs(sizes)) {
    console.log(`${String(r.n).padStart(10)} ${String(r.inclusion).padStart(10)} ${String(r.inclusionBytes).padStart(8)} ${String(r.consistency).padStart(12)} ${String(r.consistencyBytes).padStart(8)} ${r.buildMs.toFixed(1).padStart(10)}`)
  }
}
