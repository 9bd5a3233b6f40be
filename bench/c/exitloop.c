/* The C baseline for bench/kvm_exits.py: re-enter a prepared vCPU `n` times
 * and check every exit, as a hand-written VMM loop would. Built as a shared
 * object and called once per measurement, on the same vCPU the Python loop
 * uses. Returns elapsed nanoseconds, or a negative value on a wrong exit. */
#include <errno.h>
#include <linux/kvm.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* kind 0: expect KVM_EXIT_IO OUT to `where`; kind 1: KVM_EXIT_MMIO write to `where`. */
long long exit_loop(int vcpu_fd, long mmap_size, int n, int kind, unsigned long long where)
{
    struct kvm_run *run = mmap(NULL, mmap_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu_fd, 0);
    long long t0, t1;
    int i;
    if (run == MAP_FAILED)
        return -1000000000LL - errno;
    t0 = now_ns();
    for (i = 0; i < n; i++) {
        if (ioctl(vcpu_fd, KVM_RUN, 0) < 0) {
            munmap(run, mmap_size);
            return -2000000000LL - errno;
        }
        if (kind == 0) {
            if (run->exit_reason != KVM_EXIT_IO || run->io.port != where ||
                run->io.direction != KVM_EXIT_IO_OUT)
                goto bad;
        } else {
            if (run->exit_reason != KVM_EXIT_MMIO || run->mmio.phys_addr != where ||
                !run->mmio.is_write)
                goto bad;
        }
    }
    t1 = now_ns();
    munmap(run, mmap_size);
    return t1 - t0;
bad:
    munmap(run, mmap_size);
    return -1 - (long long)i;
}
