/* The compiled memory system: caches, crossbars and memories below a CPU, in C.
 *
 * One header for both sides: memsys.c includes it, and _build.py hands it to
 * cffi's cdef, so it holds only declarations cffi can parse (no #include, no
 * macros). Python allocates every structure and array (cffi owns the memory)
 * and fills in the parameters; C only reads parameters and updates state and
 * counters. Times are absolute ticks (1 ps); latencies are ticks.
 */

/* Commands (gem5's MemCmd names, the subset the model produces). */
enum {
    MS_ReadReq = 0,
    MS_WriteReq = 1,
    MS_ReadCleanReq = 2,
    MS_ReadSharedReq = 3,
    MS_ReadExReq = 4,
    MS_WritebackDirty = 5,
    MS_WritebackClean = 6,
    MS_CleanEvict = 7,
    MS_NCMD = 8
};

/* Per-command, per-requestor cache counters (gem5's CacheCmdStats). */
enum {
    MS_HITS = 0,
    MS_MISSES = 1,
    MS_HIT_LATENCY = 2,
    MS_MISS_LATENCY = 3,
    MS_MSHR_MISSES = 4,
    MS_MSHR_MISS_LATENCY = 5,
    MS_NCSTAT = 6
};

enum { MS_NONE = 0, MS_CACHE = 1, MS_XBAR = 2, MS_DRAM = 3, MS_SIMPLE = 4 };
enum { MS_LRU = 0, MS_FIFO = 1, MS_MRU = 2 };
enum { MS_ATOMIC = 0, MS_TIMING = 1 };
enum { MS_PAGE_OPEN = 0, MS_PAGE_OPEN_ADAPTIVE = 1, MS_PAGE_CLOSE = 2, MS_PAGE_CLOSE_ADAPTIVE = 3 };
enum { MS_RoRaBaChCo = 0, MS_RoRaBaCoCh = 1, MS_RoCoRaBaCh = 2 };

/* A request's requestor word: the requestor id in the low 16 bits, plus this
   flag for an instruction fetch (gem5's Request::INST_FETCH). */
enum { MS_INST_FETCH = 65536 };

struct ms_node {
    uint32_t kind;
    void *obj;
};

struct ms_cache {
    uint32_t sets;            /* a power of two */
    uint32_t assoc;
    uint32_t line_shift;
    uint32_t policy;
    uint32_t sequential;      /* sequential_access: tag then data */
    uint32_t writeback_clean;
    uint32_t mostly_excl;     /* clusivity */
    uint32_t read_only;       /* is_read_only */
    uint32_t nreq;            /* requestors known to the system */
    uint32_t wb_req;          /* the "writebacks" requestor */
    uint64_t period;
    uint64_t period_inv;      /* (2**64 - 1) / period: clock edges without a division */
    uint64_t tag_lat;
    uint64_t data_lat;
    uint64_t resp_lat;
    uint64_t *line;           /* [sets * assoc] line number + 1; 0 when invalid */
    uint8_t *dirty;           /* [sets * assoc] */
    uint64_t *stamp;          /* [sets * assoc] replacement order */
    uint64_t clock;           /* source of stamps */
    uint64_t last;            /* the slot of the last line found: checked first */
    uint64_t *stats;          /* [MS_NCMD][MS_NCSTAT][nreq] */
    uint64_t *writebacks;     /* [nreq] */
    uint64_t replacements;
    struct ms_node below;
};

struct ms_route {
    uint64_t start;
    uint64_t end;             /* exclusive */
    struct ms_node to;
};

struct ms_xbar {
    uint64_t period;
    uint64_t period_inv;
    uint64_t req_lat;         /* (frontend + forward) cycles, in ticks */
    uint64_t snoop_lat;       /* snoop filter lookup, in ticks (coherent crossbars) */
    uint64_t resp_lat;
    uint32_t nroutes;
    uint32_t pad;
    struct ms_route *routes;
    struct ms_node deflt;     /* the default port, kind MS_NONE when unconnected */
};

/* gem5's AbstractMemory counters, per requestor. */
struct ms_memstats {
    uint32_t nreq;
    uint32_t pad;
    uint64_t *bytes_read;
    uint64_t *bytes_inst_read;
    uint64_t *bytes_written;
    uint64_t *num_reads;
    uint64_t *num_writes;
};

struct ms_simple {
    uint64_t latency;
    double ticks_per_byte;    /* the bandwidth param */
    uint64_t busy_until;
    struct ms_memstats mem;
};

struct ms_bank {
    uint64_t open_row;        /* ~0 when precharged */
    uint64_t act_allowed;
    uint64_t pre_allowed;
    uint64_t rd_allowed;
    uint64_t wr_allowed;
    uint32_t row_accesses;
    uint32_t pad;
};

struct ms_rank {
    uint64_t next_ref;        /* when the next refresh is due */
    uint64_t last_act;
    uint64_t bus_rd;          /* the data bus's floor on every bank's rd_allowed */
    uint64_t bus_wr;          /* and on wr_allowed: a bank's own value or this, the later */
    uint64_t act_hist[16];    /* the last activation_limit activates (tXAW) */
    uint32_t act_pos;
    uint32_t pad;
};

struct ms_dram {
    uint64_t start;           /* the interface's range */
    uint64_t size;
    uint32_t burst_size;
    uint32_t bursts_per_row;
    uint32_t banks;           /* per rank */
    uint32_t ranks;
    uint64_t rows;            /* per bank */
    uint32_t mapping;
    uint32_t page_policy;
    uint32_t max_row_accesses;
    uint32_t activation_limit;
    uint32_t wq_cap;          /* write_buffer_size */
    uint32_t wq_low;          /* write_low_thresh_perc of it */
    uint32_t min_writes;      /* min_writes_per_switch */
    uint32_t wq_len;
    uint32_t frfcfs;
    uint32_t nreq;
    uint64_t tBURST, tRCD, tRCD_WR, tCL, tCWL, tRP, tRAS, tWR, tRTP;
    uint64_t tRFC, tREFI, tRRD, tXAW, tWTR, tRTW, tCS;
    uint64_t frontend;
    uint64_t backend;
    uint64_t atomic_latency;  /* gem5's accessLatency(): tRP + tRCD + tCL */
    uint64_t *wq;             /* [wq_cap] queued write bursts (offsets) */
    uint32_t *wq_req;         /* [wq_cap] their requestors */
    uint32_t *wq_bank;        /* [wq_cap] their rank * banks + bank */
    uint64_t *wq_row;         /* [wq_cap] their rows */
    struct ms_bank *bank;     /* [ranks * banks] */
    struct ms_rank *rank;     /* [ranks] */
    uint64_t last_arrival;
    /* MemCtrl counters */
    uint64_t readReqs, writeReqs, readBursts, writeBursts, servicedByWrQ, mergedWrBursts;
    uint64_t bytesReadWrQ, bytesReadSys, bytesWrittenSys, totGap;
    uint64_t readPktSize[16];
    uint64_t writePktSize[16];
    uint64_t *rq_read_bytes;  /* [nreq] */
    uint64_t *rq_write_bytes;
    uint64_t *rq_read_acc;
    uint64_t *rq_write_acc;
    uint64_t *rq_read_lat;
    uint64_t *rq_write_lat;
    /* DRAMInterface counters */
    uint64_t dramReadBursts, dramWriteBursts;
    uint64_t *per_bank_rd;    /* [ranks * banks] */
    uint64_t *per_bank_wr;
    uint64_t totQLat, totBusLat, totMemAccLat, readRowHits, writeRowHits;
    uint64_t dramBytesRead, dramBytesWritten;
    struct ms_memstats mem;
    uint32_t wq_head;         /* the queue is wq[wq_head .. wq_head + wq_len) */
    uint32_t wq_pad;
    uint32_t wq_filter[256];  /* queued write bursts per hash of their offset: a zero
                                 says a burst is not queued without a search */
};

/* Mirrors the reference engine's `struct ref_counter` (same layout, first member
   of ms_cpu): the engine reads and writes it through its own declaration. */
struct ms_ref_counter {
    uint64_t count;
    uint64_t limit;
    uint64_t last_pc;
    uint32_t last_size;
    uint32_t limit_hit;
    uint32_t stop_next;
    int (*emu_stop)(void *uc);
};

struct ms_cpu {
    struct ms_ref_counter rc;
    uint64_t now;             /* where the current instruction has got to */
    uint64_t tick_limit;      /* no instruction starts at or after this tick */
    uint64_t inst_start;
    uint64_t stall;           /* atomic mode: this instruction's access latency */
    uint64_t period;
    uint64_t period_inv;
    uint32_t timing;          /* MS_TIMING or MS_ATOMIC */
    uint32_t inst_stalls;     /* atomic mode: simulate_inst_stalls */
    uint32_t data_stalls;     /* atomic mode: simulate_data_stalls */
    uint32_t in_inst;
    uint32_t inst_rq;
    uint32_t data_rq;
    uint32_t line_size;       /* a power of two */
    uint32_t fetch_bytes;     /* gem5's x86 decoder fetches 8-byte chunks (a power of two) */
    uint32_t nram;
    uint32_t pad;
    uint64_t ram_start[8];
    uint64_t ram_end[8];
    uint64_t tlb_vpage[64];   /* instruction-fetch translations, flushed per slice and
                                 after every event the engine delivers */
    uint64_t tlb_ppage[64];
    int (*vmem_translate)(void *uc, uint64_t va, int prot, uint64_t *pa);
    struct ms_node ifetch;    /* what icache_port is bound to */
    struct ms_node data;      /* what dcache_port is bound to */
};

uint64_t ms_access(struct ms_node *node, uint32_t cmd, uint64_t addr, uint32_t size,
                   uint32_t rq, uint64_t t, int mode);
void ms_cpu_begin(struct ms_cpu *cpu, uint64_t now, uint64_t tick_limit);
void ms_cpu_flush_translations(struct ms_cpu *cpu);
uint64_t ms_cpu_end(struct ms_cpu *cpu);
void ms_code_hook(void *uc, uint64_t address, uint32_t size, void *user_data);
void ms_mem_hook(void *uc, int type, uint64_t address, int size, int64_t value, void *user_data);
void ms_cache_writeback(struct ms_cache *c);
void ms_cache_invalidate(struct ms_cache *c);
uint64_t ms_cache_valid_lines(struct ms_cache *c);
void ms_dram_reset(struct ms_dram *d, uint64_t now);
void ms_dram_drain(struct ms_dram *d, uint64_t now);
