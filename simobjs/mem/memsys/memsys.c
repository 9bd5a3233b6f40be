/* The compiled memory system (see memsys.h and simobjs/mem/memsys/__init__.py).
 *
 * One request walks the graph below a CPU port: each node adds its latency to
 * an absolute time and updates its state and counters, so a blocking CPU's
 * access costs a few function calls and no Python. The rules follow gem5's
 * classic memory system: a cache hit costs max(tag, data) cycles (tag only for
 * a write), a miss costs the tag lookup, the path below and the response
 * latency; a crossbar adds frontend + forward (+ snoop filter lookup) cycles on
 * the way down and its response latency on the way up; a DRAM read costs the
 * controller's static latencies and the bank's row state (tRP, tRCD, tCL,
 * tBURST), writes are queued and drained in batches. Guest data never lives
 * here: it stays in guest RAM, so only time and statistics depend on this file.
 */

#include <stdint.h>
#include <string.h>

#include "memsys.h"

#define NO_ROW UINT64_MAX
#define UC_MEM_WRITE_TYPE 17  /* unicorn's UC_MEM_WRITE */
#define UC_PROT_EXEC_BITS 4   /* unicorn's UC_PROT_EXEC */

static inline uint64_t max64(uint64_t a, uint64_t b) { return a > b ? a : b; }

/* The first clock edge at or after t (gem5's clockEdge()). `inv` is
   (2**64 - 1) / period: the quotient from a multiply is low by at most two,
   which the loop corrects, so no 64-bit division sits on every access. */
static inline uint64_t edge(uint64_t t, uint64_t period, uint64_t inv)
{
    if (!period)
        return t;
    uint64_t x = t + period - 1;
    uint64_t q = (uint64_t)(((unsigned __int128)x * inv) >> 64);
    uint64_t r = x - q * period;
    while (r >= period)
        r -= period;
    return x - r; /* the multiple of period at or below x */
}

static inline int is_read_cmd(uint32_t cmd)
{
    return cmd == MS_ReadReq || cmd == MS_ReadCleanReq || cmd == MS_ReadSharedReq ||
           cmd == MS_ReadExReq;
}

static inline int is_posted(uint32_t cmd)
{
    return cmd == MS_WritebackDirty || cmd == MS_WritebackClean || cmd == MS_CleanEvict;
}

static inline int from_cache(uint32_t cmd)
{
    return cmd != MS_ReadReq && cmd != MS_WriteReq;
}

static uint64_t access(struct ms_node *node, uint32_t cmd, uint64_t addr, uint32_t size,
                       uint32_t rq, uint64_t t, int mode, int *dirty_up);

/* ---------------------------------------------------------------- caches -- */

static inline uint64_t *cstat(struct ms_cache *c, uint32_t cmd, uint32_t stat, uint32_t req)
{
    return &c->stats[((uint64_t)cmd * MS_NCSTAT + stat) * c->nreq + req];
}

static int find_way(struct ms_cache *c, uint64_t base, uint64_t key)
{
    uint64_t *line = c->line + base;
    for (uint32_t w = 0; w < c->assoc; w++)
        if (line[w] == key)
            return (int)w;
    return -1;
}

static inline void touch(struct ms_cache *c, uint64_t i)
{
    if (c->policy != MS_FIFO)
        c->stamp[i] = ++c->clock;
}

/* Evict what `i` holds (if anything), as gem5's evictBlock: a dirty line is
   written back, a clean one is written back when writeback_clean is set and
   otherwise announced with a CleanEvict. */
static void evict(struct ms_cache *c, uint64_t i, uint64_t t, int mode)
{
    if (!c->line[i])
        return;
    uint64_t addr = (c->line[i] - 1) << c->line_shift;
    uint32_t size = 1u << c->line_shift;
    c->replacements++;
    if (c->dirty[i] || c->writeback_clean) {
        c->writebacks[c->wb_req]++;
        access(&c->below, c->dirty[i] ? MS_WritebackDirty : MS_WritebackClean, addr, size,
               c->wb_req, t, mode, NULL);
    } else {
        access(&c->below, MS_CleanEvict, addr, size, c->wb_req, t, mode, NULL);
    }
    c->line[i] = 0;
    c->dirty[i] = 0;
}

/* Allocate `line` in its set: an invalid way first, else the policy's victim. */
static uint64_t fill(struct ms_cache *c, uint64_t base, uint64_t line, uint64_t t, int mode)
{
    /* one pass: the first invalid way if there is one, else the policy's victim (the
       first of equals) */
    const uint64_t *ln = c->line + base, *st = c->stamp + base;
    uint32_t v = 0, w = 0, n = c->assoc;
    if (ln[0]) {
        if (c->policy == MS_MRU) {
            for (w = 1; w < n && ln[w]; w++)
                if (st[w] > st[v])
                    v = w;
        } else {
            for (w = 1; w < n && ln[w]; w++)
                if (st[w] < st[v])
                    v = w;
        }
    }
    uint64_t victim;
    if (w < n) {
        victim = base + w; /* invalid */
    } else {
        victim = base + v;
        evict(c, victim, t, mode);
    }
    c->line[victim] = line + 1;
    c->dirty[victim] = 0;
    c->stamp[victim] = ++c->clock;
    return victim;
}

static uint64_t cache_access(struct ms_cache *c, uint32_t cmd, uint64_t addr, uint32_t size,
                             uint32_t rq, uint64_t t, int mode, int *dirty_up)
{
    uint32_t req = rq & 0xffff;
    uint64_t line = addr >> c->line_shift;
    uint64_t base = (line & (c->sets - 1)) * c->assoc;
    /* a line can only be in its own set: if the last slot found holds it, it is here */
    int way = c->line[c->last] == line + 1 ? (int)(c->last - base) : find_way(c, base, line + 1);
    if (way >= 0)
        c->last = base + (uint64_t)way;
    uint64_t t0 = mode == MS_TIMING ? edge(t, c->period, c->period_inv) : t;
    (void)size;

    if (cmd == MS_WritebackDirty || cmd == MS_WritebackClean) {
        /* a writeback always lands (gem5 counts it as a hit, allocating if needed) */
        uint64_t i = way >= 0 ? base + (uint64_t)way : fill(c, base, line, t0 + c->tag_lat, mode);
        if (way >= 0)
            touch(c, i);
        if (cmd == MS_WritebackDirty)
            c->dirty[i] = 1;
        (*cstat(c, cmd, MS_HITS, req))++;
        return t0 + c->tag_lat;
    }
    if (cmd == MS_CleanEvict)
        return t0 + c->tag_lat; /* a hint for snoop filters: no state or stats here */

    int is_write = cmd == MS_WriteReq;
    if (way >= 0) {
        uint64_t i = base + (uint64_t)way;
        uint64_t lat;
        touch(c, i);
        if (is_write) {
            lat = c->tag_lat;
            c->dirty[i] = 1;
        } else {
            lat = c->sequential ? c->tag_lat + c->data_lat
                                : max64(c->tag_lat, c->data_lat);
            /* a mostly-inclusive cache passes a dirty line up as Modified on a
               read from a cache above and keeps a clean copy (single core) */
            if (c->dirty[i] && dirty_up && (cmd == MS_ReadSharedReq || cmd == MS_ReadExReq)) {
                c->dirty[i] = 0;
                *dirty_up = 1;
            }
        }
        uint64_t done = t0 + lat;
        (*cstat(c, cmd, MS_HITS, req))++;
        if (mode == MS_TIMING)
            *cstat(c, cmd, MS_HIT_LATENCY, req) += done - t;
        if (c->mostly_excl && from_cache(cmd) && !c->dirty[i]) {
            c->line[i] = 0; /* gem5's maintainClusivity: the line moves up */
        }
        return done;
    }

    /* a miss: look up, ask below for the whole line, fill, respond */
    (*cstat(c, cmd, MS_MISSES, req))++;
    (*cstat(c, cmd, MS_MSHR_MISSES, req))++;
    int needs_writable = is_write || cmd == MS_ReadExReq;
    uint32_t down = needs_writable ? MS_ReadExReq
                                   : (c->read_only ? MS_ReadCleanReq : MS_ReadSharedReq);
    uint64_t fwd = t0 + c->tag_lat;
    int got_dirty = 0;
    uint64_t back = access(&c->below, down, line << c->line_shift, 1u << c->line_shift, rq, fwd,
                           mode, &got_dirty);
    uint64_t done = mode == MS_TIMING ? edge(back, c->period, c->period_inv) + c->resp_lat : back;
    /* gem5's allocOnFill: a mostly-exclusive cache only keeps lines that do not
       come from a cache above */
    if (!c->mostly_excl || !from_cache(cmd)) {
        uint64_t i = fill(c, base, line, back, mode);
        c->dirty[i] = (uint8_t)(is_write || got_dirty);
        if (c->dirty[i] && !is_write && dirty_up && cmd == MS_ReadExReq) {
            c->dirty[i] = 0;
            *dirty_up = 1;
        }
    } else if (got_dirty && dirty_up) {
        *dirty_up = 1;
    }
    if (mode == MS_TIMING) {
        *cstat(c, cmd, MS_MISS_LATENCY, req) += done - t;
        *cstat(c, cmd, MS_MSHR_MISS_LATENCY, req) += back - t;
    }
    return done;
}

void ms_cache_writeback(struct ms_cache *c)
{
    memset(c->dirty, 0, (size_t)c->sets * c->assoc);
}

void ms_cache_invalidate(struct ms_cache *c)
{
    uint64_t n = (uint64_t)c->sets * c->assoc;
    memset(c->line, 0, n * sizeof(uint64_t));
    memset(c->dirty, 0, n);
    memset(c->stamp, 0, n * sizeof(uint64_t));
}

uint64_t ms_cache_valid_lines(struct ms_cache *c)
{
    uint64_t n = (uint64_t)c->sets * c->assoc, valid = 0;
    for (uint64_t i = 0; i < n; i++)
        valid += c->line[i] != 0;
    return valid;
}

/* ------------------------------------------------------------- crossbars -- */

static uint64_t xbar_access(struct ms_xbar *x, uint32_t cmd, uint64_t addr, uint32_t size,
                            uint32_t rq, uint64_t t, int mode, int *dirty_up)
{
    struct ms_node *to = &x->deflt;
    for (uint32_t i = 0; i < x->nroutes; i++) {
        if (addr >= x->routes[i].start && addr < x->routes[i].end) {
            to = &x->routes[i].to;
            break;
        }
    }
    if (mode != MS_TIMING)
        return access(to, cmd, addr, size, rq, t, mode, dirty_up);
    uint64_t out = edge(t, x->period, x->period_inv) + x->req_lat + (is_posted(cmd) ? 0 : x->snoop_lat);
    uint64_t back = access(to, cmd, addr, size, rq, out, mode, dirty_up);
    if (is_posted(cmd))
        return out;
    return edge(back, x->period, x->period_inv) + x->resp_lat;
}

/* -------------------------------------------------------------- memories -- */

static void count_mem(struct ms_memstats *m, uint32_t cmd, uint32_t size, uint32_t rq)
{
    uint32_t req = rq & 0xffff;
    if (req >= m->nreq || cmd == MS_CleanEvict)
        return;
    if (is_read_cmd(cmd)) {
        m->num_reads[req]++;
        m->bytes_read[req] += size;
        if (rq & MS_INST_FETCH)
            m->bytes_inst_read[req] += size;
    } else {
        m->num_writes[req]++;
        m->bytes_written[req] += size;
    }
}

static uint64_t simple_access(struct ms_simple *s, uint32_t cmd, uint32_t size, uint32_t rq,
                              uint64_t t, int mode)
{
    count_mem(&s->mem, cmd, size, rq);
    if (cmd == MS_CleanEvict)
        return t;
    if (mode != MS_TIMING)
        return t + s->latency;
    uint64_t start = max64(t, s->busy_until);
    s->busy_until = start + (uint64_t)(size * s->ticks_per_byte);
    return start + s->latency;
}

/* ------------------------------------------------------------------ DRAM -- */

static inline int is_pow2(uint64_t v) { return v && !(v & (v - 1)); }

static inline uint64_t divmod(uint64_t *a, uint64_t n)
{
    /* powers of two (every gem5 preset) are a mask and a shift */
    uint64_t r;
    if (is_pow2(n)) {
        r = *a & (n - 1);
        *a >>= __builtin_ctzll(n);
    } else {
        r = *a % n;
        *a /= n;
    }
    return r;
}

static void dram_decode(struct ms_dram *d, uint64_t burst, uint32_t *rank, uint32_t *bank,
                        uint64_t *row)
{
    uint64_t a = burst;
    if (d->mapping == MS_RoCoRaBaCh) {
        /* a single channel: bank bits lowest, then rank, then the column */
        *bank = (uint32_t)divmod(&a, d->banks);
        *rank = (uint32_t)divmod(&a, d->ranks);
        divmod(&a, d->bursts_per_row);
    } else {
        /* RoRaBaCoCh and RoRaBaChCo: sequential lines share a row */
        divmod(&a, d->bursts_per_row);
        *bank = (uint32_t)divmod(&a, d->banks);
        *rank = (uint32_t)divmod(&a, d->ranks);
    }
    *row = d->rows ? divmod(&a, d->rows) : a;
}

static void precharge(struct ms_dram *d, struct ms_bank *b, uint64_t at)
{
    b->act_allowed = max64(b->act_allowed, at + d->tRP);
    b->open_row = NO_ROW;
}

/* Refreshes due by `t` on rank r: the banks are precharged, then the rank is
   busy for tRFC. Only the last due refresh can still delay anything. */
static void refresh(struct ms_dram *d, uint32_t r, uint64_t t)
{
    struct ms_rank *rk = &d->rank[r];
    if (!d->tREFI || t < rk->next_ref)
        return;
    uint64_t ref = rk->next_ref + (t - rk->next_ref) / d->tREFI * d->tREFI;
    uint64_t pre_done = ref;
    struct ms_bank *banks = &d->bank[(uint64_t)r * d->banks];
    for (uint32_t i = 0; i < d->banks; i++) {
        if (banks[i].open_row != NO_ROW)
            pre_done = max64(pre_done, max64(banks[i].pre_allowed, ref) + d->tRP);
    }
    uint64_t ref_done = pre_done + d->tRFC;
    for (uint32_t i = 0; i < d->banks; i++) {
        banks[i].open_row = NO_ROW;
        banks[i].act_allowed = max64(banks[i].act_allowed, ref_done);
    }
    rk->next_ref = ref + d->tREFI;
}

/* gem5's open_adaptive/close_adaptive look at the queue being served: another
   request to the same row keeps the row open, one to another row of the same
   bank (open_adaptive) closes it. */
static int queued_hit_or_conflict(struct ms_dram *d, uint32_t bank_id, uint64_t row,
                                  int *conflict)
{
    *conflict = 0;
    for (uint32_t i = d->wq_head; i < d->wq_head + d->wq_len; i++) {
        if (d->wq_bank[i] == bank_id) {
            if (d->wq_row[i] == row)
                return 1;
            *conflict = 1;
        }
    }
    return 0;
}

/* One burst at bank level; returns when its data is transferred. */
static uint64_t dram_burst(struct ms_dram *d, uint64_t offset, int is_read, uint64_t t,
                           int from_write_queue)
{
    uint32_t r, bk;
    uint64_t row;
    dram_decode(d, offset / d->burst_size, &r, &bk, &row);
    refresh(d, r, t);
    uint64_t bank_id = (uint64_t)r * d->banks + bk;
    struct ms_bank *b = &d->bank[bank_id];
    struct ms_rank *rk = &d->rank[r];
    int row_hit = b->open_row == row;
    if (!row_hit) {
        if (b->open_row != NO_ROW)
            precharge(d, b, max64(b->pre_allowed, t));
        uint64_t act = max64(b->act_allowed, t);
        if (rk->last_act)
            act = max64(act, rk->last_act + d->tRRD);
        if (d->activation_limit && d->tXAW) {
            uint64_t oldest = rk->act_hist[rk->act_pos];
            if (oldest)
                act = max64(act, oldest + d->tXAW);
            rk->act_hist[rk->act_pos] = act;
            rk->act_pos = (rk->act_pos + 1) % d->activation_limit;
        }
        rk->last_act = act;
        b->open_row = row;
        b->row_accesses = 0;
        b->rd_allowed = max64(b->rd_allowed, act + d->tRCD);
        b->wr_allowed = max64(b->wr_allowed, act + d->tRCD_WR);
        b->pre_allowed = max64(b->pre_allowed, act + d->tRAS);
    }
    uint64_t cmd = max64(is_read ? max64(b->rd_allowed, rk->bus_rd)
                                 : max64(b->wr_allowed, rk->bus_wr), t);
    uint64_t ready = cmd + (is_read ? d->tCL : d->tCWL) + d->tBURST;
    /* the data bus: bursts back to back, turnarounds, rank switches. The bus holds
       back every bank of a rank alike, so it is one floor per rank, not a write to
       each bank */
    for (uint32_t rr = 0; rr < d->ranks; rr++) {
        uint64_t to_rd, to_wr;
        if (rr == r) {
            to_rd = is_read ? d->tBURST : d->tBURST + d->tWTR + d->tCWL;
            to_wr = is_read ? d->tBURST + d->tRTW : d->tBURST;
        } else {
            to_rd = to_wr = d->tBURST + d->tCS;
        }
        struct ms_rank *k = &d->rank[rr];
        k->bus_rd = max64(k->bus_rd, cmd + to_rd);
        k->bus_wr = max64(k->bus_wr, cmd + to_wr);
    }
    b->pre_allowed = max64(b->pre_allowed, is_read ? cmd + d->tRTP : ready + d->tWR);
    b->row_accesses++;
    int auto_pre = d->page_policy == MS_PAGE_CLOSE ||
                   (d->max_row_accesses && b->row_accesses == d->max_row_accesses);
    if (!auto_pre &&
        (d->page_policy == MS_PAGE_OPEN_ADAPTIVE || d->page_policy == MS_PAGE_CLOSE_ADAPTIVE)) {
        int conflict = 0, more_hits = 0;
        if (from_write_queue)
            more_hits = queued_hit_or_conflict(d, (uint32_t)bank_id, row, &conflict);
        auto_pre = !more_hits && (conflict || d->page_policy == MS_PAGE_CLOSE_ADAPTIVE);
    }
    if (auto_pre)
        precharge(d, b, max64(t, b->pre_allowed));
    if (is_read) {
        d->dramReadBursts++;
        d->per_bank_rd[bank_id]++;
        d->readRowHits += row_hit;
        d->dramBytesRead += d->burst_size;
        d->totQLat += cmd - t;
        d->totBusLat += d->tBURST;
        d->totMemAccLat += ready - t;
    } else {
        d->dramWriteBursts++;
        d->per_bank_wr[bank_id]++;
        d->writeRowHits += row_hit;
        d->dramBytesWritten += d->burst_size;
    }
    return ready;
}

static inline uint32_t wq_hash(uint64_t offset)
{
    return (uint32_t)(((offset >> 3) * 0x9E3779B97F4A7C15ull) >> 56);
}

/* Whether the burst at `offset` is in the write queue. */
static inline int wq_holds(struct ms_dram *d, uint64_t offset)
{
    if (!d->wq_filter[wq_hash(offset)])
        return 0;
    for (uint32_t i = d->wq_head; i < d->wq_head + d->wq_len; i++)
        if (d->wq[i] == offset)
            return 1;
    return 0;
}

/* Issue queued writes from time t until `keep` remain (gem5 turns the bus to
   writes when the queue passes write_low_thresh_perc and reads are not waiting,
   which is always the case behind a blocking CPU). With frfcfs a write to an
   open row goes first. */
static void dram_issue_writes(struct ms_dram *d, uint64_t t, uint32_t keep)
{
    while (d->wq_len > keep) {
        uint32_t head = d->wq_head, end = head + d->wq_len, pick = head;
        if (d->frfcfs) {
            for (uint32_t i = head; i < end; i++) {
                if (d->bank[d->wq_bank[i]].open_row == d->wq_row[i]) {
                    pick = i;
                    break;
                }
            }
        }
        uint64_t offset = d->wq[pick];
        if (pick == head) {
            d->wq_head++; /* the oldest goes: nothing moves */
        } else {
            uint32_t tail = end - pick - 1;
            memmove(&d->wq[pick], &d->wq[pick + 1], tail * sizeof(uint64_t));
            memmove(&d->wq_req[pick], &d->wq_req[pick + 1], tail * sizeof(uint32_t));
            memmove(&d->wq_bank[pick], &d->wq_bank[pick + 1], tail * sizeof(uint32_t));
            memmove(&d->wq_row[pick], &d->wq_row[pick + 1], tail * sizeof(uint64_t));
        }
        d->wq_len--;
        if (!d->wq_len)
            d->wq_head = 0;
        d->wq_filter[wq_hash(offset)]--;
        dram_burst(d, offset, 0, t, 1); /* the bank and bus state order the writes */
    }
}

/* The smallest l with 2**l >= size, at most 15 (a packet-size histogram bucket). */
static inline uint32_t log2_size(uint32_t size)
{
    if (size <= 1)
        return 0;
    uint32_t l = 32 - (uint32_t)__builtin_clz(size - 1);
    return l < 15 ? l : 15;
}

static uint64_t dram_access(struct ms_dram *d, uint32_t cmd, uint64_t addr, uint32_t size,
                            uint32_t rq, uint64_t t, int mode)
{
    uint32_t req = rq & 0xffff;
    count_mem(&d->mem, cmd, size, rq);
    if (cmd == MS_CleanEvict)
        return t;
    if (mode != MS_TIMING)
        return t + d->atomic_latency;
    if (req >= d->nreq)
        req = 0;
    if (d->last_arrival)
        d->totGap += t - d->last_arrival;
    d->last_arrival = t;
    uint64_t off = addr - d->start;
    uint64_t first = off / d->burst_size * d->burst_size;
    uint64_t last = (off + size - 1) / d->burst_size * d->burst_size;
    if (is_read_cmd(cmd)) {
        uint64_t done = t;
        d->readReqs++;
        d->readPktSize[log2_size(size)]++;
        d->bytesReadSys += size;
        d->rq_read_acc[req]++;
        d->rq_read_bytes[req] += size;
        for (uint64_t b = first; b <= last; b += d->burst_size) {
            uint64_t resp;
            d->readBursts++;
            if (wq_holds(d, b)) {
                d->servicedByWrQ++;
                d->bytesReadWrQ += d->burst_size;
                resp = t + d->frontend;
            } else {
                resp = dram_burst(d, b, 1, t, 0) + d->frontend + d->backend;
            }
            done = max64(done, resp);
        }
        d->rq_read_lat[req] += done - t;
        return done;
    }
    d->writeReqs++;
    d->writePktSize[log2_size(size)]++;
    d->bytesWrittenSys += size;
    d->rq_write_acc[req]++;
    d->rq_write_bytes[req] += size;
    for (uint64_t b = first; b <= last; b += d->burst_size) {
        d->writeBursts++;
        if (wq_holds(d, b)) {
            d->mergedWrBursts++;
            continue;
        }
        if (d->wq_len >= d->wq_cap)
            dram_issue_writes(d, t, d->wq_cap - 1);
        uint32_t r, bk;
        uint64_t row;
        dram_decode(d, b / d->burst_size, &r, &bk, &row);
        if (d->wq_head + d->wq_len == d->wq_cap) {
            /* no room after the queue: move it to the front */
            uint32_t h = d->wq_head, n = d->wq_len;
            memmove(d->wq, &d->wq[h], n * sizeof(uint64_t));
            memmove(d->wq_req, &d->wq_req[h], n * sizeof(uint32_t));
            memmove(d->wq_bank, &d->wq_bank[h], n * sizeof(uint32_t));
            memmove(d->wq_row, &d->wq_row[h], n * sizeof(uint64_t));
            d->wq_head = 0;
        }
        uint32_t at = d->wq_head + d->wq_len;
        d->wq[at] = b;
        d->wq_req[at] = req;
        d->wq_bank[at] = r * d->banks + bk;
        d->wq_row[at] = row;
        d->wq_len++;
        d->wq_filter[wq_hash(b)]++;
    }
    if (d->wq_len > d->wq_low) {
        uint32_t keep = d->wq_low > d->min_writes ? d->wq_low - d->min_writes - 1 : 0;
        dram_issue_writes(d, t, keep);
    }
    d->rq_write_lat[req] += d->frontend;
    return t + d->frontend;
}

void ms_dram_reset(struct ms_dram *d, uint64_t now)
{
    for (uint64_t i = 0; i < (uint64_t)d->ranks * d->banks; i++) {
        memset(&d->bank[i], 0, sizeof(struct ms_bank));
        d->bank[i].open_row = NO_ROW;
    }
    for (uint32_t r = 0; r < d->ranks; r++) {
        memset(&d->rank[r], 0, sizeof(struct ms_rank));
        d->rank[r].next_ref = now + (d->tREFI > d->tRP ? d->tREFI - d->tRP : d->tREFI);
    }
    d->wq_len = 0;
    d->wq_head = 0;
    memset(d->wq_filter, 0, sizeof(d->wq_filter));
    d->last_arrival = 0;
}

void ms_dram_drain(struct ms_dram *d, uint64_t now)
{
    dram_issue_writes(d, now, 0);
}

/* ----------------------------------------------------------- dispatching -- */

static uint64_t access(struct ms_node *node, uint32_t cmd, uint64_t addr, uint32_t size,
                       uint32_t rq, uint64_t t, int mode, int *dirty_up)
{
    switch (node->kind) {
    case MS_CACHE:
        return cache_access((struct ms_cache *)node->obj, cmd, addr, size, rq, t, mode, dirty_up);
    case MS_XBAR:
        return xbar_access((struct ms_xbar *)node->obj, cmd, addr, size, rq, t, mode, dirty_up);
    case MS_DRAM:
        return dram_access((struct ms_dram *)node->obj, cmd, addr, size, rq, t, mode);
    case MS_SIMPLE:
        return simple_access((struct ms_simple *)node->obj, cmd, size, rq, t, mode);
    default:
        return t;
    }
}

/* One request from outside (a CPU port, or a test driving a trace). */
uint64_t ms_access(struct ms_node *node, uint32_t cmd, uint64_t addr, uint32_t size,
                   uint32_t rq, uint64_t t, int mode)
{
    return access(node, cmd, addr, size, rq, t, mode, NULL);
}

/* ------------------------------------------------------------------- CPU -- */

static inline int in_ram(struct ms_cpu *c, uint64_t pa)
{
    for (uint32_t i = 0; i < c->nram; i++)
        if (pa >= c->ram_start[i] && pa < c->ram_end[i])
            return 1;
    return 0;
}

/* A CPU request (ReadReq or WriteReq) to the line its first cache found last: the
   hit path of cache_access without the walk down to it, with the same state changes
   and counters. Returns 0, having changed nothing, when it is not that case. */
static inline int last_line_hit(struct ms_node *node, uint32_t cmd, uint64_t addr, uint32_t rq,
                                uint64_t t, int mode, uint64_t *done)
{
    if (node->kind != MS_CACHE)
        return 0;
    struct ms_cache *c = (struct ms_cache *)node->obj;
    uint64_t i = c->last;
    if (c->line[i] != (addr >> c->line_shift) + 1)
        return 0;
    uint32_t req = rq & 0xffff;
    uint64_t t0 = mode == MS_TIMING ? edge(t, c->period, c->period_inv) : t;
    uint64_t lat;
    touch(c, i);
    if (cmd == MS_WriteReq) {
        lat = c->tag_lat;
        c->dirty[i] = 1;
    } else {
        lat = c->sequential ? c->tag_lat + c->data_lat : max64(c->tag_lat, c->data_lat);
    }
    *done = t0 + lat;
    (*cstat(c, cmd, MS_HITS, req))++;
    if (mode == MS_TIMING)
        *cstat(c, cmd, MS_HIT_LATENCY, req) += *done - t;
    return 1;
}

static inline __attribute__((always_inline)) void cpu_access(struct ms_cpu *c,
                                                              struct ms_node *node, uint32_t cmd,
                                                              uint64_t pa, uint32_t size,
                                                              uint32_t rq, int stalls)
{
    uint64_t done;
    if (!last_line_hit(node, cmd, pa, rq, c->now, (int)c->timing, &done))
        done = ms_access(node, cmd, pa, size, rq, c->now, (int)c->timing);
    if (c->timing)
        c->now = edge(done, c->period, c->period_inv);
    else if (stalls)
        c->stall += done - c->now;
}

/* The instruction that started at inst_start is complete: fix its end. A timing
   instruction takes what its accesses took (at least one cycle, so time always
   moves); an atomic one takes one cycle plus its stalls when they are simulated. */
static inline void finish_inst(struct ms_cpu *c)
{
    uint64_t p = c->period;
    if (c->timing) {
        c->now = max64(edge(c->now, p, c->period_inv), c->inst_start + p);
    } else {
        /* `now` has moved past inst_start only by what device I/O charged */
        c->now += p + (c->stall ? edge(c->stall, p, c->period_inv) : 0);
    }
    c->in_inst = 0;
}

/* Whether the whole 4 KiB page at `ppage` is in one RAM range. */
static inline int page_in_ram(struct ms_cpu *c, uint64_t ppage)
{
    for (uint32_t i = 0; i < c->nram; i++)
        if (ppage >= c->ram_start[i] && ppage + 0xfff < c->ram_end[i])
            return 1;
    return 0;
}

/* The physical address of instruction bytes at `va` when they are in RAM (what the
   instruction port fetches). A translation is remembered with bit 0 set when its
   page lies in RAM, which spares the range search. */
static int fetch_address(struct ms_cpu *c, void *uc, uint64_t va, uint64_t *pa)
{
    uint64_t vpage = va >> 12, idx = vpage & 63, p;
    if (c->tlb_vpage[idx] == vpage + 1) {
        uint64_t e = c->tlb_ppage[idx];
        *pa = (e & ~(uint64_t)0xfff) | (va & 0xfff);
        return (e & 1) || in_ram(c, *pa);
    }
    if (!c->vmem_translate || c->vmem_translate(uc, va, UC_PROT_EXEC_BITS, &p) != 0)
        return 0;
    uint64_t ppage = p & ~(uint64_t)0xfff;
    c->tlb_vpage[idx] = vpage + 1;
    c->tlb_ppage[idx] = ppage | (uint64_t)page_in_ram(c, ppage);
    *pa = p;
    return in_ram(c, p);
}

void ms_cpu_begin(struct ms_cpu *c, uint64_t now, uint64_t tick_limit)
{
    c->now = now;
    c->tick_limit = tick_limit;
    c->in_inst = 0;
    c->stall = 0;
    memset(c->tlb_vpage, 0, sizeof(c->tlb_vpage));
}

void ms_cpu_flush_translations(struct ms_cpu *c)
{
    memset(c->tlb_vpage, 0, sizeof(c->tlb_vpage));
}

uint64_t ms_cpu_end(struct ms_cpu *c)
{
    if (c->in_inst)
        finish_inst(c);
    return c->now;
}

/* Unicorn's code hook (uc_cb_hookcode_t), before each instruction: end the last
   one, stop at the count or time limit (the instruction stays unexecuted), count,
   and fetch the instruction's bytes through the instruction port. A REP string
   instruction comes back at the same address for each iteration: like gem5's
   microcode loop it is not fetched again. */
void ms_code_hook(void *uc, uint64_t address, uint32_t size, void *user_data)
{
    struct ms_cpu *c = (struct ms_cpu *)user_data;
    if (c->in_inst)
        finish_inst(c);
    if (c->rc.stop_next || c->rc.count >= c->rc.limit || c->now >= c->tick_limit) {
        if (!c->rc.stop_next)
            c->rc.limit_hit = 1;
        c->rc.emu_stop(uc);
        return;
    }
    int again = c->rc.count && address == c->rc.last_pc;
    c->rc.count++;
    c->rc.last_pc = address;
    c->rc.last_size = size;
    c->inst_start = c->now;
    c->stall = 0;
    c->in_inst = 1;
    if (again)
        return;
    uint32_t fb = c->fetch_bytes;
    uint64_t chunk = address & ~(uint64_t)(fb - 1), end = address + size;
    int stalls = c->inst_stalls;
    for (; chunk < end; chunk += fb) {
        uint64_t pa;
        if (!fetch_address(c, uc, chunk, &pa))
            continue;
        cpu_access(c, &c->ifetch, MS_ReadReq, pa, fb, c->inst_rq | MS_INST_FETCH, stalls);
    }
}

/* Unicorn's memory hook (uc_cb_hookmem_t) for data reads and writes: `address` is
   physical. An access crossing a cache line is two accesses, as gem5 splits it.
   MMIO is not RAM: the Python devices account for it. */
void ms_mem_hook(void *uc, int type, uint64_t address, int size, int64_t value, void *user_data)
{
    struct ms_cpu *c = (struct ms_cpu *)user_data;
    (void)uc;
    (void)value;
    if (!c->in_inst || !in_ram(c, address))
        return;
    uint32_t cmd = type == UC_MEM_WRITE_TYPE ? MS_WriteReq : MS_ReadReq;
    uint64_t a = address, end = address + (uint64_t)size, line = c->line_size;
    while (a < end) {
        uint64_t next = (a | (line - 1)) + 1;
        uint64_t stop = next < end ? next : end;
        cpu_access(c, &c->data, cmd, a, (uint32_t)(stop - a), c->data_rq, (int)c->data_stalls);
        a = stop;
    }
}
