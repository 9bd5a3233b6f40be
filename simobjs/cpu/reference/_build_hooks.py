"""cffi out-of-line API-mode build of the reference CPU's per-instruction hook.

One C code hook counts retired instructions exactly and stops Unicorn at the
limit; it remembers the last instruction's address and size, which is how a
HLT stop is told apart from a count stop. `stop_next` (set by an I/O callback)
stops before the next instruction: stopping from inside an MMIO access would
roll the access's instruction back. `uc_emu_stop` is reached through a
function pointer set from Python, so the module does not link libunicorn.
"""

from cffi import FFI

CDEF = r"""
struct ref_counter {
    uint64_t count;
    uint64_t limit;
    uint64_t last_pc;
    uint32_t last_size;
    uint32_t limit_hit;
    uint32_t stop_next;
    int (*emu_stop)(void *uc);
};
void ref_code_hook(void *uc, uint64_t address, uint32_t size, void *user_data);
"""

SOURCE = r"""
#include <stdint.h>

struct ref_counter {
    uint64_t count;
    uint64_t limit;
    uint64_t last_pc;
    uint32_t last_size;
    uint32_t limit_hit;
    uint32_t stop_next;
    int (*emu_stop)(void *uc);
};

/* Called by Unicorn before each instruction (uc_cb_hookcode_t). Stopping here
   keeps the instruction unexecuted, so `count` is exactly what retired. */
void ref_code_hook(void *uc, uint64_t address, uint32_t size, void *user_data)
{
    struct ref_counter *c = (struct ref_counter *)user_data;
    if (c->stop_next || c->count >= c->limit) {
        if (!c->stop_next)
            c->limit_hit = 1;
        c->emu_stop(uc);
        return;
    }
    c->count++;
    c->last_pc = address;
    c->last_size = size;
}
"""

ffibuilder = FFI()
ffibuilder.cdef(CDEF)
ffibuilder.set_source("simobjs.cpu.reference._hooks", SOURCE)

if __name__ == "__main__":
    ffibuilder.compile(verbose=True)
