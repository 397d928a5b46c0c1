// SPDX-License-Identifier: Apache-2.0
/* hardhull-loader: loads hardhull.bpf.o (through its bpftool skeleton), attaches it and
 * copies the ring buffer's records to stdout unchanged, for hardhull.runtime.sensor.core.
 *
 *   hardhull-loader RINGBUF_BYTES CGROUP_SUBSYS EXCLUDE_PID
 *
 * CGROUP_SUBSYS: the cgroup v1 subsystem id to attribute by, -1 for cgroup v2.
 * Besides the kernel's records it writes two of its own (same 64-byte header):
 *   kind 100 READY  once attached; payload: the names of programs not loaded, ' '-separated
 *   kind 101 STATS  every second and at exit; payload: u64 lost[64], summed over CPUs
 * Exits 0 on SIGTERM/SIGINT or when stdout closes; 1 with a message on stderr otherwise. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#include <fcntl.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "hardhull.skel.h"

#define LOST_SLOTS 64
#define KIND_READY 100
#define KIND_STATS 101

struct hh_hdr {
    unsigned int size;
    unsigned short kind;
    unsigned short code;
    unsigned long long ts;
    unsigned int pid, tid, ppid, uid;
    unsigned long long cgid;
    long long ret;
    char comm[16];
};

static volatile sig_atomic_t stop;
static int out_failed;
static int log_on = 1; /* off for the first, optimistic load attempt */

static void on_signal(int sig) { (void)sig; stop = 1; }

static int libbpf_log(enum libbpf_print_level level, const char *fmt, va_list args) {
    if (level == LIBBPF_DEBUG || !log_on) return 0;
    return vfprintf(stderr, fmt, args);
}

static void put(const void *data, size_t size) {
    if (out_failed) return;
    if (fwrite(data, 1, size, stdout) != size) out_failed = 1;
}

static int on_record(void *ctx, void *data, size_t size) {
    (void)ctx;
    put(data, size);
    return out_failed ? -1 : 0;
}

static void own_record(unsigned short kind, const void *payload, unsigned int len) {
    struct hh_hdr h;
    static const char zeros[8];
    memset(&h, 0, sizeof h);
    unsigned int size = (unsigned int)sizeof h + len;
    unsigned int padded = (size + 7) & ~7U;
    h.size = padded;
    h.kind = kind;
    h.pid = (unsigned int)getpid();
    put(&h, sizeof h);
    put(payload, len);
    put(zeros, padded - size);
}

static void stats(struct hardhull_bpf *skel, int ncpu) {
    unsigned long long total[LOST_SLOTS];
    unsigned long long *per = calloc((size_t)ncpu, sizeof *per);
    if (!per) return;
    for (unsigned int k = 0; k < LOST_SLOTS; k++) {
        total[k] = 0;
        if (bpf_map__lookup_elem(skel->maps.lost, &k, sizeof k, per, sizeof *per * (size_t)ncpu, 0) == 0)
            for (int c = 0; c < ncpu; c++) total[k] += per[c];
    }
    free(per);
    own_record(KIND_STATS, total, sizeof total);
    fflush(stdout);
}

static int tracepoint_exists(const char *name) {
    char path[256];
    snprintf(path, sizeof path, "/sys/kernel/tracing/events/syscalls/%s", name);
    if (access(path, F_OK) == 0) return 1;
    snprintf(path, sizeof path, "/sys/kernel/debug/tracing/events/syscalls/%s", name);
    return access(path, F_OK) == 0;
}

static void note(char *buf, size_t cap, const char *what) {
    if (strlen(buf) + strlen(what) + 2 < cap) {
        strcat(buf, what);
        strcat(buf, " ");
    }
}

/* programs for tracepoints this kernel lacks are not loaded; the module-load fexit
 * programs only replace missing tracepoints */
static struct hardhull_bpf *open_skel(int subsys, int exclude, unsigned long rb_bytes,
                                      int with_fexit, char *skipped, size_t cap) {
    struct hardhull_bpf *skel = hardhull_bpf__open();
    if (!skel) return NULL;
    skel->rodata->cg_subsys = subsys;
    skel->rodata->exclude_pid1 = (unsigned int)getpid();
    skel->rodata->exclude_pid2 = (unsigned int)exclude;
    if (rb_bytes) bpf_map__set_max_entries(skel->maps.events, (unsigned int)rb_bytes);
    int init_tp = tracepoint_exists("sys_enter_init_module");
    int finit_tp = tracepoint_exists("sys_enter_finit_module");
    struct bpf_program *prog;
    bpf_object__for_each_program(prog, skel->obj) {
        const char *sec = bpf_program__section_name(prog);
        int keep = 1;
        if (strncmp(sec, "tracepoint/syscalls/", 20) == 0) {
            keep = tracepoint_exists(sec + 20);
        } else if (strstr(sec, "sys_init_module")) {
            keep = !init_tp && with_fexit;
        } else if (strstr(sec, "sys_finit_module")) {
            keep = !finit_tp && with_fexit;
        }
        if (!keep) {
            bpf_program__set_autoload(prog, false);
            if (strncmp(sec, "fexit/", 6) != 0 || with_fexit || (strstr(sec, "finit") ? !finit_tp : !init_tp))
                note(skipped, cap, sec);
        }
    }
    return skel;
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: %s RINGBUF_BYTES CGROUP_SUBSYS EXCLUDE_PID\n", argv[0]);
        return 2;
    }
    unsigned long rb_bytes = strtoul(argv[1], NULL, 10);
    int subsys = atoi(argv[2]);
    int exclude = atoi(argv[3]);
    libbpf_set_print(libbpf_log);
    static char outbuf[1 << 20];
    setvbuf(stdout, outbuf, _IOFBF, sizeof outbuf);
    fcntl(STDOUT_FILENO, F_SETPIPE_SZ, 1 << 20); /* best effort; a file is fine too */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal; /* no SA_RESTART: a write blocked on a full pipe returns */
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    char skipped[1024] = "";
    int err = 0;
    struct bpf_program *prog;
    struct hardhull_bpf *skel = NULL;
    /* first with the optional fexit programs, then, if the kernel refuses them (no BPF
     * trampolines), without */
    for (int with_fexit = 1; with_fexit >= 0; with_fexit--) {
        skipped[0] = 0;
        log_on = !with_fexit;
        skel = open_skel(subsys, exclude, rb_bytes, with_fexit, skipped, sizeof skipped);
        if (!skel) {
            fprintf(stderr, "hardhull-loader: cannot open the BPF object: %s\n", strerror(errno));
            return 1;
        }
        err = hardhull_bpf__load(skel);
        if (!err) break;
        hardhull_bpf__destroy(skel);
        skel = NULL;
    }
    if (!skel) {
        fprintf(stderr, "hardhull-loader: the kernel refused the BPF programs: %s\n", strerror(-err));
        return 1;
    }
    bpf_object__for_each_program(prog, skel->obj) {
        if (!bpf_program__autoload(prog)) continue;
        const char *sec = bpf_program__section_name(prog);
        struct bpf_link *link = bpf_program__attach(prog);
        if (link) continue;
        err = -errno;
        if (strncmp(sec, "fexit/", 6) == 0) { /* optional: module load without tracepoints */
            note(skipped, sizeof skipped, sec);
            continue;
        }
        fprintf(stderr, "hardhull-loader: cannot attach %s: %s\n", sec, strerror(-err));
        return 1;
    }
    struct ring_buffer *rb = ring_buffer__new(bpf_map__fd(skel->maps.events), on_record, NULL, NULL);
    if (!rb) {
        fprintf(stderr, "hardhull-loader: cannot open the ring buffer: %s\n", strerror(errno));
        return 1;
    }
    int ncpu = libbpf_num_possible_cpus();
    own_record(KIND_READY, skipped, (unsigned int)strlen(skipped));
    fflush(stdout);
    struct timespec last, now;
    clock_gettime(CLOCK_MONOTONIC, &last);
    while (!stop && !out_failed) {
        /* the BPF side wakes us only when 256 KiB are pending (BPF_RB_NO_WAKEUP
         * otherwise), so epoll may report nothing: consume what is there every 50 ms */
        err = ring_buffer__poll(rb, 50);
        if (err >= 0 || err == -EINTR) err = ring_buffer__consume(rb);
        if (err < 0 && err != -EINTR) {
            fprintf(stderr, "hardhull-loader: ring buffer poll: %s\n", strerror(-err));
            break;
        }
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (now.tv_sec > last.tv_sec) {
            stats(skel, ncpu);
            last = now;
        } else if (fflush(stdout) != 0) {
            out_failed = 1;
        }
    }
    ring_buffer__consume(rb);
    stats(skel, ncpu);
    ring_buffer__free(rb);
    hardhull_bpf__destroy(skel);
    return 0;
}
