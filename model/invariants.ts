// Every invariant of the model: id, statement in protocol words, predicate. spec/model.md lists
// the same ids with why each matters in Valkey and which failure path or bug it guards.
import type { Invariant, TransitionInvariant } from '../engine/model.js';
import { effectiveHard, type ModelConfig } from './config.js';
import {
  childSucceedsIn, dualSaveFails, DS, DS_NAMES, linkUp, RS_NAMES, G_BLOG, R_LEAK, G_HS, G_NB, G_OFF, G_RC, MC, R_APP, R_STOP, R_OVER, S_CHILD, R_BAD, R_BUF, R_CACHE, R_DS, R_E, R_INF, R_MASSOC, R_MBLK, R_MC, R_MEOF, R_MREF,
  R_RS, R_SLOT, R_SLOTS, RC, RS, S_GT, S_ORD, S_PEER, S_PIN, S_PROT, S_RAX, S_RC, SLOT_SIZE, SLOTS, type Layout,
} from './state.js';

export function makeInvariants(c: ModelConfig, L: Layout): Invariant[] {
  const B = c.blockSize;
  const hard = effectiveHard(c);
  const rb = (r: number) => L.replicaBase[r]!;
  const sb = (r: number, s: number) => L.replicaBase[r]! + R_SLOTS + s * SLOT_SIZE;
  const tailEnd = (s: Uint8Array) => s[G_HS]! + s[G_NB]! * B - 1;
  const inBacklog = (s: Uint8Array, o: number) => s[G_BLOG] === 1 && (s[G_NB] === 0 ? o === s[G_OFF]! + 1 : s[G_HS]! <= o && o <= s[G_OFF]! + 1);
  /** A per-replica predicate over the state `cur`: the first replica's message, or null. */
  const each = (f: (cur: Uint8Array, r: number) => string | null) => (s: Uint8Array) => {
    for (let r = 0; r < c.replicas; r++) { const e = f(s, r); if (e) return e; }
    return null;
  };
  const name = (r: number) => `replica${r + 1}`;

  const list: Invariant[] = [
    {
      id: 'I1-no-gap-while-pinned',
      description: 'While the rdb client of a sync still waits for its main channel\'s PSYNC (in replicas_waiting_psync), byte ENDOFF+1 is in the backlog and the pinned block has not been trimmed.',
      check: (s) => {
        for (let r = 0; r < c.replicas; r++) for (let k = 0; k < SLOTS; k++) {
          const b = sb(r, k);
          if (!s[b + S_RAX]) continue;
          const pin = s[b + S_PIN]!;
          if (pin >= 2 && (s[G_NB] === 0 || pin < s[G_HS]!)) return `${name(r)}: pinned block at offset ${pin} was trimmed (backlog head at ${s[G_HS]})`;
          const rs = s[rb(r) + R_RS]!;
          if (s[rb(r) + R_SLOT] === k + 1 && (rs === RS.SETID_WAIT || rs === RS.MAIN_PSYNC_WAIT) && !inBacklog(s, s[rb(r) + R_E]! + 1)) {
            return `${name(r)}: ENDOFF+1=${s[rb(r) + R_E]! + 1} is not in the backlog although rdb client ${k + 1} still pins it`;
          }
        }
        return null;
      },
    },
    {
      id: 'I2-psync-soundness',
      description: 'A replica that streams from the primary (buffering during its load, or connected) receives exactly the write after the last one its data holds: the accepted PSYNC started at ENDOFF+1 (or applied+1) and nothing was skipped or repeated since.',
      check: each((cur, r) => {
        const b = rb(r);
        const mc = cur[b + R_MC]!;
        if (mc !== MC.BG_RDB_LOAD && mc !== MC.ONLINE) return null;
        const rs = cur[b + R_RS]!;
        const next = cur[b + R_MREF]! - cur[b + R_INF]!;
        if (rs === RS.TRANSFER || rs === RS.CONNECTED) {
          if (!cur[b + R_MEOF] && next !== cur[b + R_APP]! + 1) return `${name(r)}: the primary streams from offset ${next} but the replica's next write is ${cur[b + R_APP]! + 1}`;
        } else if (rs === RS.MAIN_PSYNC_WAIT && next !== cur[b + R_E]! + 1) {
          return `${name(r)}: the main-channel PSYNC was accepted at ${next}, not at ENDOFF+1=${cur[b + R_E]! + 1}`;
        }
        return null;
      }),
    },
    {
      id: 'I3-refcount-conservation',
      description: 'Every replication buffer block\'s reference count equals the number of its holders: the backlog (head block), each main client and each pinned rdb client whose reference is that block.',
      check: (s) => {
        const nb = s[G_NB]!;
        for (let k = 0; k < L.maxBlocks; k++) {
          const start = s[G_HS]! + k * B;
          let want = k < nb && k === 0 && s[G_BLOG] ? 1 : 0;
          for (let r = 0; r < c.replicas; r++) {
            if (k < nb && s[rb(r) + R_MBLK] === start) want++;
            for (let q = 0; q < SLOTS; q++) if (k < nb && s[sb(r, q) + S_PIN] === start && s[sb(r, q) + S_RC] !== RC.NONE) want++;
          }
          const have = s[G_RC + k]!;
          if (have !== want) return `block ${k} (offset ${start}) has refcount ${have}, but ${want} holder(s) reference it`;
        }
        if (nb > 0 && s[G_RC]! < 1) return 'the backlog head block has refcount 0';
        // no holder may reference a block that does not exist
        for (let r = 0; r < c.replicas; r++) {
          const blk = s[rb(r) + R_MBLK]!;
          if (blk >= 2 && (nb === 0 || blk < s[G_HS]! || blk > tailEnd(s))) return `${name(r)}: main client references block ${blk}, which is not in the buffer`;
        }
        return null;
      },
    },
    {
      id: 'I4-rax-protection',
      description: 'A protected rdb client is in replicas_waiting_psync; a client in replicas_waiting_psync is an rdb client past its fork; a lingering (postponed) client is protected; a main client in BG_RDB_LOAD has dissolved its association (its rdb client is no longer waiting).',
      check: each((cur, r) => {
        for (let k = 0; k < SLOTS; k++) {
          const b = sb(r, 0) + k * SLOT_SIZE;
          const rc = cur[b + S_RC]!;
          if (cur[b + S_PROT] && !cur[b + S_RAX]) return `${name(r)}: rdb client ${k + 1} is protected but not in replicas_waiting_psync`;
          if (cur[b + S_RAX] && rc !== RC.WAIT_END && rc !== RC.LINGER) return `${name(r)}: rdb client ${k + 1} is in replicas_waiting_psync in state ${rc}`;
          if (rc === RC.LINGER && !cur[b + S_PROT]) return `${name(r)}: rdb client ${k + 1} lingers unprotected (it should have been freed)`;
        }
        const assoc = cur[rb(r) + R_MASSOC]!;
        if (cur[rb(r) + R_MC] === MC.BG_RDB_LOAD && assoc && cur[sb(r, assoc - 1) + S_RAX]) return `${name(r)}: main client is in bg_rdb_load but rdb client ${assoc} still waits for PSYNC`;
        return null;
      }),
    },
    {
      id: 'I5-replica-phases',
      description: 'The replica\'s two channels agree: a local buffer exists only while buffering during a dual-channel transfer; a connected replica has no rdb progress and no buffer; a dual-channel download or load belongs to an attempt with an rdb client.',
      check: each((cur, r) => {
        const b = rb(r);
        const rs = cur[b + R_RS]!;
        const ds = cur[b + R_DS]!;
        if (cur[b + R_BUF]! > 0 && rs !== RS.TRANSFER) return `${name(r)}: local buffer of ${cur[b + R_BUF]} outside the transfer phase (state ${rs})`;
        if (rs === RS.CONNECTED && ds !== DS.NONE) return `${name(r)}: connected with rdb state ${ds}`;
        if (rs === RS.TRANSFER && ds !== DS.DOWNLOAD && ds !== DS.LOADING && ds !== DS.STREAMING && ds !== DS.DOWNLOADED && ds !== DS.DOWNLOAD_FAILED) return `${name(r)}: in transfer with rdb state ${ds}`;
        if ((rs === RS.SETID_WAIT || rs === RS.MAIN_PSYNC_WAIT || rs === RS.TRANSFER) && ds !== DS.LOADED && cur[b + R_SLOT] === 0) return `${name(r)}: dual-channel attempt without an rdb client`;
        return null;
      }),
    },
    {
      id: 'I6-local-buffer-bound',
      description: 'With a local buffer limit, the replica\'s local buffer never exceeds it by more than one block (the check runs before a new block is allocated).',
      check: each((cur, r) => {
        if (c.localLimit === 0) return null;
        const buf = cur[rb(r) + R_BUF]!;
        return buf > c.localLimit + 1 ? `${name(r)}: local buffer holds ${buf} writes, limit ${c.localLimit} plus one block` : null;
      }),
    },
    {
      id: 'I7-replica-prefix',
      description: 'The replica\'s data is always exactly a prefix of the primary\'s write history: no write applied out of order (no gap, no duplicate), and never a write the primary has not made.',
      check: each((cur, r) => {
        const b = rb(r);
        if (cur[b + R_BAD]) return `${name(r)}: applied a write out of order (gap or duplicate)`;
        const rs = cur[b + R_RS]!;
        const live = rs === RS.CONNECTED || rs === RS.TRANSFER || cur[b + R_CACHE];
        if (live && cur[b + R_APP]! > cur[G_OFF]!) return `${name(r)}: holds write ${cur[b + R_APP]} but the primary is at offset ${cur[G_OFF]}`;
        return null;
      }),
    },
    {
      id: 'I8-cob-bound',
      description: 'With a hard limit, no replica client\'s output buffer on the primary exceeds the (raised) limit by more than one block.',
      check: each((cur, r) => {
        if (hard === 0) return null;
        const te = tailEnd(cur);
        const blk = cur[rb(r) + R_MBLK]!;
        // a main client whose PSYNC adopted the span an escaped pin kept (H2: I20) until it is checked
        if (blk >= 2 && cur[G_NB]! > 0 && te - blk + 1 > hard + B && !cur[rb(r) + R_OVER]) return `${name(r)}: main client output buffer ${te - blk + 1} over limit ${hard} + one block`;
        for (let k = 0; k < SLOTS; k++) {
          const pin = cur[sb(r, k) + S_PIN]!;
          // a client a failed fork dropped from server.replicas is no replica client (H2: I20)
          if (cur[sb(r, k) + S_ORD] === 0 && cur[sb(r, k) + S_RC] !== RC.NONE) continue;
          if (pin >= 2 && cur[G_NB]! > 0 && te - pin + 1 > hard + B) return `${name(r)}: rdb client ${k + 1} output buffer ${te - pin + 1} over limit ${hard} + one block`;
        }
        return null;
      }),
    },
    {
      id: 'I9-no-leftover-client',
      description: 'No client of a finished or aborted sync is left behind on the primary: every rdb client belongs to the replica\'s current attempt or is a protected client within its grace period, and a main client exists only while the replica holds that connection.',
      check: each((cur, r) => {
        const b = rb(r);
        const rs = cur[b + R_RS]!;
        for (let k = 0; k < SLOTS; k++) {
          const q = sb(r, k);
          const rc = cur[q + S_RC]!;
          if (rc === RC.NONE) continue;
          // the replica has closed it; the primary has not read the EOF yet
          if (cur[q + S_PEER]) continue;
          // unprotected, in the async free queue: freed in the next beforeSleep
          if (rc === RC.CLOSING) continue;
          if (rc === RC.LINGER) {
            if (!cur[q + S_PROT] || cur[q + S_GT]! > c.grace + 1) return `${name(r)}: rdb client ${k + 1} lingers past its grace period`;
            continue;
          }
          const current = cur[b + R_SLOT] === k + 1 && (rs === RS.RDB_HANDSHAKE || rs === RS.SETID_WAIT || rs === RS.MAIN_PSYNC_WAIT || rs === RS.TRANSFER);
          if (!current) return `${name(r)}: rdb client ${k + 1} (state ${rc}) is left behind by a sync that is over (replica state ${rs})`;
        }
        if (cur[b + R_MC] !== MC.NONE && (rs === RS.IDLE || rs === RS.DOWN || rs === RS.NONE)) return `${name(r)}: main-channel client left behind while the replica has no connection`;
        return null;
      }),
    },
  ];
  return list;
}

/**
 * Step invariants. I10: a protected rdb client loses its protection only for the reasons Valkey
 * has — its main channel's PSYNC (HandleMainPsync), an output-buffer overrun (Write, Tick), the end
 * of its grace period (GraceExpire), and, with #1297 (childErrorClearsProtection), a failed fork
 * child (ChildExit, ChildExitFork, KillChild). Any other step that unprotects it would unpin the backlog behind
 * the replica's back (§11.4 I9 of the protocol notes; the bugs #1297 and #2983 are about exactly
 * which paths may do so).
 */
export function makeStepInvariants(c: ModelConfig, L: Layout, families: readonly string[]): TransitionInvariant[] {
  const allowed = new Set(['HandleMainPsync', 'HandleAbandonedPsync', 'Write', 'Tick', 'GraceExpire', ...(c.childErrorClearsProtection ? ['ChildExit', 'ChildExitFork', 'KillChild'] : [])]);
  const mayRelease = families.map((f) => allowed.has(f));
  const prot: number[] = [];
  for (let r = 0; r < c.replicas; r++) for (let k = 0; k < SLOTS; k++) prot.push(L.replicaBase[r]! + R_SLOTS + k * SLOT_SIZE + S_PROT);
  return [
    {
      id: 'I10-release-reasons',
      description: 'A protected rdb client loses its protection only by its main channel\'s PSYNC, an output-buffer overrun, the end of its grace period, or (with #1297) a failed fork child.',
      check: (s, action, next) => {
        if (mayRelease[action]) return null;
        for (let i = 0; i < prot.length; i++) {
          const p = prot[i]!;
          if (s[p] === 1 && next[p] === 0) {
            const r = Math.floor(i / SLOTS);
            return `replica${r + 1}: rdb client ${(i % SLOTS) + 1} lost its protection in ${families[action]}, which is not a release reason`;
          }
        }
        return null;
      },
    },
  ];
}

/**
 * Fix properties: what a fixed Valkey guarantees and a buggy one does not (the bug zoo,
 * model/zoo.ts). They are checked only when asked (buildModel's `fixProperties`; `replcheck zoo`),
 * because the version a profile names may have the bug: 8.0.1 has #1297, so I18 fails under its
 * profile by design. spec/model.md §8.1.
 */
export const FIX_PROPERTY_IDS = ['I11-unlimited-local-buffer', 'I13-down-since', 'I14-success-on-live-link', 'I17-limit-close-at-backlog', 'I18-child-error-unprotects', 'I19-no-leaked-main-client', 'I20-fork-failed-cob-bound'] as const;
export type FixPropertyId = (typeof FIX_PROPERTY_IDS)[number];

export function makeFixProperties(c: ModelConfig, L: Layout, families: readonly string[], ids: readonly string[]): { invariants: Invariant[]; transitionInvariants: TransitionInvariant[] } {
  for (const id of ids) if (!(FIX_PROPERTY_IDS as readonly string[]).includes(id)) throw new Error(`unknown fix property ${id}; known: ${FIX_PROPERTY_IDS.join(', ')}`);
  const invariants: Invariant[] = [];
  const transitionInvariants: TransitionInvariant[] = [];
  if (ids.includes('I11-unlimited-local-buffer')) {
    invariants.push({
      id: 'I11-unlimited-local-buffer',
      description: 'With a replica-class hard limit of 0 (no limit) the replica never stops reading its main channel for its local buffer (#989).',
      check: (s) => {
        if (c.localLimit !== 0) return null;
        for (let r = 0; r < c.replicas; r++) if (s[L.replicaBase[r]! + R_STOP] === 1) return `replica${r + 1} stopped reading its main channel (local buffer limit) although the limit is 0, i.e. none`;
        return null;
      },
    });
  }
  if (ids.includes('I13-down-since')) {
    // reads the ghost rN.replica.downSince, which buildModel adds to the layout only for this property
    const at = L.downSinceAt;
    if (!at) throw new Error('I13-down-since needs the layout with the ghost rN.replica.downSince (buildModel adds it when the property is asked for)');
    transitionInvariants.push({
      id: 'I13-down-since',
      description: 'A replica resets repl_down_since to 0 ("never connected") only when its link with the primary comes up, or when it stops being a replica (REPLICAOF NO ONE) or dies: a replica whose link is down keeps saying since when (#1149).',
      check: (s, _action, next) => {
        for (let r = 0; r < c.replicas; r++) {
          if (s[at[r]!] !== 1 || next[at[r]!] !== 0) continue;
          const b = L.replicaBase[r]!;
          const rs = next[b + R_RS]!;
          if (linkUp(next, b) || rs === RS.NONE || rs === RS.DOWN) continue;
          return `replica${r + 1} reset repl_down_since to 0 ("never connected") with its link down (replica state ${RS_NAMES[rs]}, rdb ${DS_NAMES[next[b + R_DS]!]})`;
        }
        return null;
      },
    });
  }
  if (ids.includes('I14-success-on-live-link')) {
    // StreamDone is the only step from a dual-channel transfer whose local buffer is applied (rdb
    // state streaming) to connected
    const streamDone = families.map((f) => f === 'StreamDone');
    transitionInvariants.push({
      id: 'I14-success-on-live-link',
      description: 'A replica reports a dual-channel sync as successful after applying its local buffer only while its main channel is alive: not when the primary has closed it meanwhile (#5417).',
      check: (s, action, next) => {
        if (!streamDone[action]) return null;
        for (let r = 0; r < c.replicas; r++) {
          const b = L.replicaBase[r]!;
          if (s[b + R_DS] === DS.STREAMING && s[b + R_MEOF] === 1 && next[b + R_RS] === RS.CONNECTED) return `replica${r + 1} reported a successful sync after applying its local buffer, but the primary had closed its main channel`;
        }
        return null;
      },
    });
  }
  if (ids.includes('I17-limit-close-at-backlog')) {
    // Write (the hard limit, on a new block) and Tick (clientsCron: soft and hard limits) are the
    // only steps that close a replica client for its output buffer, and the only ones of theirs
    // that free a client. Its pending output is measured as the checks do, in whole blocks from
    // the block it references to the tail, on the source state (the successor is normalised with
    // its own shift), plus the new block a Write adds.
    const limits = families.map((f) => f === 'Write' || f === 'Tick');
    const writes = families.map((f) => f === 'Write');
    const B = c.blockSize;
    transitionInvariants.push({
      id: 'I17-limit-close-at-backlog',
      description: 'A replica client is closed for its output buffer only with at least repl-backlog-size pending: with less, its replica would partial-resync from the backlog and overrun the limit again (#2866).',
      check: (s, action, next) => {
        if (!limits[action] || s[G_NB] === 0) return null;
        let tail = s[G_HS]! + (s[G_NB]! - 1) * B;
        if (writes[action] && s[G_OFF]! + 1 > tail + B - 1) tail += B;
        const pending = (start: number) => tail + B - start;
        for (let r = 0; r < c.replicas; r++) {
          const b = L.replicaBase[r]!;
          const blk = s[b + R_MBLK]!;
          if (blk >= 2 && s[b + R_MC] !== MC.NONE && next[b + R_MC] === MC.NONE && pending(blk) < c.backlog) return `replica${r + 1}: main client closed for its output buffer with ${pending(blk)} pending, less than the backlog (${c.backlog})`;
          for (let k = 0; k < SLOTS; k++) {
            const q = b + R_SLOTS + k * SLOT_SIZE;
            const pin = s[q + S_PIN]!;
            if (pin >= 2 && s[q + S_RC] !== RC.NONE && next[q + S_RC] === RC.NONE && pending(pin) < c.backlog) return `replica${r + 1}: rdb client ${k + 1} closed for its output buffer with ${pending(pin)} pending, less than the backlog (${c.backlog})`;
          }
        }
        return null;
      },
    });
  }
  if (ids.includes('I18-child-error-unprotects')) {
    // a child that ends without success (KillChild, or ChildExit/ChildExitFork when childSucceedsIn
    // says no, as the actions decide) leaves none of the rdb clients it served protected
    const ends = families.map((f) => f === 'ChildExit' || f === 'ChildExitFork' || f === 'KillChild');
    const killed = families.map((f) => f === 'KillChild');
    transitionInvariants.push({
      id: 'I18-child-error-unprotects',
      description: 'A fork child that fails leaves none of the rdb clients it served protected: they are closed at once instead of pinning the backlog for the grace period (#1297).',
      check: (s, action, next) => {
        if (!ends[action]) return null;
        if (!killed[action] && childSucceedsIn(L, s, dualSaveFails(c))) return null;
        for (let r = 0; r < c.replicas; r++) {
          for (let k = 0; k < SLOTS; k++) {
            const b = L.replicaBase[r]! + R_SLOTS + k * SLOT_SIZE;
            if (s[b + S_CHILD] === 1 && next[b + S_PROT] === 1) return `replica${r + 1}: rdb client ${k + 1}, served by the failed child (${families[action]}), is still protected`;
          }
        }
        return null;
      },
    });
  }
  if (ids.includes('I19-no-leaked-main-client')) {
    invariants.push({
      id: 'I19-no-leaked-main-client',
      description: 'The primary holds no client of a main channel its replica has dropped without closing it: an error of the rdb channel\'s handshake closes the main connection too (#1097).',
      check: (s) => {
        for (let r = 0; r < c.replicas; r++) if (s[L.replicaBase[r]! + R_LEAK] === 1) return `replica${r + 1} dropped a main connection without closing it: the primary still holds its client`;
        return null;
      },
    });
  }
  if (ids.includes('I20-fork-failed-cob-bound')) {
    const hard = effectiveHard(c), B = c.blockSize;
    invariants.push({
      id: 'I20-fork-failed-cob-bound',
      description: 'With a hard limit, an rdb client a failed fork dropped from server.replicas holds no more of the replication buffer than the (raised) limit plus one block while it lingers (H2).',
      check: (s) => {
        if (hard === 0 || s[G_NB] === 0) return null;
        const te = s[G_HS]! + s[G_NB]! * B - 1;
        for (let r = 0; r < c.replicas; r++) {
          if (s[L.replicaBase[r]! + R_OVER]) return `replica${r + 1}: its main client's PSYNC adopted more of the replication buffer than limit ${hard} + one block`;
          for (let k = 0; k < SLOTS; k++) {
            const q = L.replicaBase[r]! + R_SLOTS + k * SLOT_SIZE;
            const pin = s[q + S_PIN]!;
            if (s[q + S_RC] !== RC.NONE && s[q + S_ORD] === 0 && pin >= 2 && te - pin + 1 > hard + B) return `replica${r + 1}: rdb client ${k + 1}, dropped from server.replicas by a failed fork, pins ${te - pin + 1} of the replication buffer, over limit ${hard} + one block`;
          }
        }
        return null;
      },
    });
  }
  return { invariants, transitionInvariants };
}
