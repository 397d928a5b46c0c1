// SPDX-License-Identifier: GPL-2.0 OR Apache-2.0
/* hardhull's CO-RE kernel sensor.
 *
 * Built at run time by hardhull.runtime.sensor.core_build against a vmlinux.h dumped from
 * /sys/kernel/btf/vmlinux (clang -O2 -g -target bpf), loaded by hardhull-loader.c.
 * Every event is one fixed-layout little-endian record written to a BPF ring buffer;
 * the layouts are mirrored by hardhull.runtime.sensor.core_decode (keep them in sync).
 *
 *   header (64 bytes): u32 size, u16 kind, u16 code, u64 ktime_ns,
 *                      u32 pid, tid, ppid, uid, u64 cgroup id, s64 ret, char comm[16]
 *   EXEC:    + u32 loginuid, u32 tty, u16 argv_len, exe_len, fname_len, flags,
 *              then argv (NUL-separated), exe path components leaf first, filename
 *   EXIT:    header only (ret = exit status); FORK: header only (ret = child pid)
 *   SYSCALL: + u64 args[6], sock info (48 bytes), u16 len[3], u16 pad,
 *              then up to three user strings (each NUL-terminated)
 *
 * A record that cannot be written (ring buffer full) is counted in the per-CPU `lost`
 * array by slot (EXEC/EXIT/FORK kinds, or LOST_SYSCALL_BASE + syscall code); slot 0
 * counts syscalls whose arguments could not be saved (per-thread map full).
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

#define KIND_EXEC 1
#define KIND_EXIT 2
#define KIND_FORK 3
#define KIND_SYSCALL 4

#define LOST_SLOTS 64
#define LOST_SYSCALL_BASE 8

#define ARGV_MAX 8192    /* bytes of argv per exec (NUL-separated) */
#define EXE_DEPTH 32     /* path components walked for the exe path */
#define NAME_MAX_B 256   /* bytes per path component */
#define EXE_MAX 4096     /* bytes of exe path components */
#define STR_MAX 4096     /* bytes per syscall string (PATH_MAX) */
#define DATA_MASK 16383  /* write offsets are masked by this (verifier bound) */
#define DATA_SIZE (DATA_MASK + 1 + STR_MAX) /* room for one more string past the mask */

#define FLAG_ARGV_TRUNC 1
#define FLAG_EXE_TRUNC 2
#define FLAG_ARGV_FROM_CALLER 4

/* syscall codes: 1-based positions in hardhull.runtime.sensor.ebpf_script.SYSCALLS */
#define SC_OPEN 1
#define SC_OPENAT 2
#define SC_OPENAT2 3
#define SC_CHMOD 4
#define SC_FCHMOD 5
#define SC_FCHMODAT 6
#define SC_FCHMODAT2 7
#define SC_CHOWN 8
#define SC_LCHOWN 9
#define SC_FCHOWN 10
#define SC_FCHOWNAT 11
#define SC_UNLINK 12
#define SC_UNLINKAT 13
#define SC_RENAME 14
#define SC_RENAMEAT 15
#define SC_RENAMEAT2 16
#define SC_SETUID 17
#define SC_SETGID 18
#define SC_SETREUID 19
#define SC_SETREGID 20
#define SC_SETRESUID 21
#define SC_SETRESGID 22
#define SC_PTRACE 23
#define SC_MOUNT 24
#define SC_INIT_MODULE 25
#define SC_FINIT_MODULE 26
#define SC_MEMFD_CREATE 27
#define SC_BPF 28
#define SC_CONNECT 29
#define SC_ACCEPT 30
#define SC_ACCEPT4 31
#define SC_EXECVE 100
#define SC_EXECVEAT 101

struct hh_hdr {
    u32 size;
    u16 kind;
    u16 code;
    u64 ts;
    u32 pid;
    u32 tid;
    u32 ppid;
    u32 uid;
    u64 cgid;
    s64 ret;
    char comm[16];
};

struct hh_exec_rec {
    struct hh_hdr h;
    u32 loginuid;
    u32 tty;
    u16 argv_len;
    u16 exe_len;
    u16 fname_len;
    u16 flags;
    char data[DATA_SIZE];
};

struct hh_sock_info {
    u16 family;
    u16 type;
    u16 proto;
    u16 lport;
    u16 rport;
    u16 pad[3];
    u8 laddr[16];
    u8 raddr[16];
};

struct hh_sys_rec {
    struct hh_hdr h;
    u64 a[6];
    struct hh_sock_info sk;
    u16 len[3];
    u16 pad;
    char data[DATA_SIZE];
};

struct hh_saved {
    u64 code;
    u64 a[6];
};

/* set by the loader before load */
const volatile int cg_subsys = -1; /* v1 hierarchy's subsystem id, -1 = cgroup v2 */
const volatile unsigned int exclude_pid1 = 0;
const volatile unsigned int exclude_pid2 = 0;

struct {
    __uint(type, BPF_MAP_TYPE_RINGBUF);
    __uint(max_entries, 16 << 20);
} events SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, LOST_SLOTS);
    __type(key, u32);
    __type(value, u64);
} lost SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 16384);
    __type(key, u32);
    __type(value, struct hh_saved);
} args_by_tid SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, 1);
    __type(key, u32);
    __type(value, struct hh_sys_rec);
} sys_scratch SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, 1);
    __type(key, u32);
    __type(value, struct hh_exec_rec);
} exec_scratch SEC(".maps");

static __always_inline void count_lost(u32 slot) {
    u64 *v = bpf_map_lookup_elem(&lost, &slot);
    if (v)
        *v += 1;
}

static __always_inline bool excluded(u32 tgid) {
    return tgid == exclude_pid1 || tgid == exclude_pid2;
}

static __always_inline u64 cgroup_id(struct task_struct *task) {
    if (cg_subsys < 0)
        return bpf_get_current_cgroup_id();
    struct css_set *cgroups = BPF_CORE_READ(task, cgroups);
    struct cgroup_subsys_state *css = NULL;
    u32 idx = (u32)cg_subsys & 15;
    bpf_core_read(&css, sizeof(css), &cgroups->subsys[idx]);
    if (!css)
        return 0;
    return BPF_CORE_READ(css, cgroup, kn, id);
}

static __always_inline void fill_hdr(struct hh_hdr *h, u16 kind, u16 code, s64 ret) {
    struct task_struct *task = (struct task_struct *)bpf_get_current_task();
    u64 pid_tgid = bpf_get_current_pid_tgid();
    h->kind = kind;
    h->code = code;
    h->ts = bpf_ktime_get_ns();
    h->pid = pid_tgid >> 32;
    h->tid = (u32)pid_tgid;
    h->ppid = BPF_CORE_READ(task, real_parent, tgid);
    h->uid = (u32)bpf_get_current_uid_gid();
    h->cgid = cgroup_id(task);
    h->ret = ret;
    bpf_get_current_comm(&h->comm, sizeof(h->comm));
}

/* wake the reader only when a batch is pending; it also polls every 50 ms */
static __always_inline u64 wake_flags(void) {
    return bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= (256 << 10) ? BPF_RB_FORCE_WAKEUP
                                                                        : BPF_RB_NO_WAKEUP;
}

static __always_inline u32 bounded(u32 off) { return off > DATA_SIZE ? DATA_SIZE : off; }

static __always_inline void submit(void *rec, u32 size, u32 max, u32 slot) {
    u64 sz = (size + 7) & ~7U;
    if (sz > max)
        sz = max;
    asm volatile("" : "+r"(sz)); /* keep the bound check on the register the helper gets */
    if (sz > max)
        return;
    ((struct hh_hdr *)rec)->size = sz;
    if (bpf_ringbuf_output(&events, rec, sz, wake_flags()) != 0)
        count_lost(slot);
}

/* ---------------------------------------------------------------- exec */

struct walk {
    struct hh_exec_rec *r;
    struct dentry *d;
    struct vfsmount *vm;
    struct mount *mnt;
    struct dentry *root_d;
    struct vfsmount *root_m;
    u32 off;
    u32 start;
};

/* one step of the exe path walk (a bpf_loop callback: verified once, not per step) */
static long walk_step(u32 i, void *arg) {
    struct walk *w = arg;
    struct dentry *d = w->d;
    struct vfsmount *vm = w->vm;
    struct mount *mnt = w->mnt;
    if (d == w->root_d && vm == w->root_m)
        return 1;
    struct dentry *mnt_root = BPF_CORE_READ(vm, mnt_root);
    struct dentry *parent = BPF_CORE_READ(d, d_parent);
    if (d == mnt_root || d == parent) {
        struct mount *up = BPF_CORE_READ(mnt, mnt_parent);
        if (up == mnt || !up)
            return 1;
        w->d = BPF_CORE_READ(mnt, mnt_mountpoint);
        w->mnt = up;
        w->vm = &up->mnt;
        return 0;
    }
    if (w->off - w->start >= EXE_MAX) {
        w->r->flags |= FLAG_EXE_TRUNC;
        return 1;
    }
    const unsigned char *name = BPF_CORE_READ(d, d_name.name);
    long n = bpf_probe_read_kernel_str(&w->r->data[w->off & DATA_MASK], NAME_MAX_B, name);
    if (n <= 0)
        return 1;
    w->off += n;
    w->d = parent;
    return 0;
}

/* leaf-first components of the exe path, walking d_parent and crossing mounts up to the
 * task's root (the d_path algorithm without its locks) */
static __always_inline u32 exe_path(struct hh_exec_rec *r, u32 off, struct file *file) {
    struct task_struct *task = (struct task_struct *)bpf_get_current_task();
    struct walk w = {
        .r = r,
        .d = BPF_CORE_READ(file, f_path.dentry),
        .vm = BPF_CORE_READ(file, f_path.mnt),
        .root_d = BPF_CORE_READ(task, fs, root.dentry),
        .root_m = BPF_CORE_READ(task, fs, root.mnt),
        .off = off,
        .start = off,
    };
    w.mnt = container_of(w.vm, struct mount, mnt);
    if (bpf_loop(EXE_DEPTH, walk_step, &w, 0) == EXE_DEPTH)
        r->flags |= FLAG_EXE_TRUNC;
    return w.off - w.start;
}

static __always_inline void exec_common(struct hh_exec_rec *r) {
    struct task_struct *task = (struct task_struct *)bpf_get_current_task();
    r->loginuid = BPF_CORE_READ(task, loginuid.val);
    r->tty = 0;
    struct tty_struct *tty = BPF_CORE_READ(task, signal, tty);
    if (tty) {
        u32 major = BPF_CORE_READ(tty, driver, major);
        u32 minor = BPF_CORE_READ(tty, driver, minor_start) + BPF_CORE_READ(tty, index);
        r->tty = (major << 20) | (minor & 0xfffff);
    }
    r->flags = 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(on_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm) {
    u32 tgid = bpf_get_current_pid_tgid() >> 32;
    u32 old = old_pid;
    struct hh_saved *sv = bpf_map_lookup_elem(&args_by_tid, &old);
    u16 code = SC_EXECVE;
    if (sv) {
        if (sv->code == SC_EXECVEAT)
            code = SC_EXECVEAT;
        bpf_map_delete_elem(&args_by_tid, &old);
    }
    if (excluded(tgid))
        return 0;
    u32 zero = 0;
    struct hh_exec_rec *r = bpf_map_lookup_elem(&exec_scratch, &zero);
    if (!r)
        return 0;
    fill_hdr(&r->h, KIND_EXEC, code, 0);
    exec_common(r);
    struct task_struct *task = (struct task_struct *)bpf_get_current_task();
    unsigned long a0 = BPF_CORE_READ(task, mm, arg_start);
    unsigned long a1 = BPF_CORE_READ(task, mm, arg_end);
    u64 len = a1 > a0 ? a1 - a0 : 0;
    if (len > ARGV_MAX) {
        len = ARGV_MAX;
        r->flags |= FLAG_ARGV_TRUNC;
    }
    if (len > 0 && bpf_probe_read_user(r->data, len & (ARGV_MAX * 2 - 1), (void *)a0) != 0)
        len = 0;
    r->argv_len = len;
    u32 off = len;
    struct file *file = BPF_CORE_READ(bprm, file);
    u32 elen = exe_path(r, off, file);
    r->exe_len = elen;
    off += elen;
    const char *fname = BPF_CORE_READ(bprm, filename);
    long n = bpf_probe_read_kernel_str(&r->data[off & DATA_MASK], STR_MAX, fname);
    if (n < 0)
        n = 0;
    r->fname_len = n;
    off += n;
    u32 size = sizeof(struct hh_hdr) + 16 + bounded(off);
    submit(r, size, sizeof(*r), KIND_EXEC);
    return 0;
}

static __always_inline int save6(u16 code, u64 a0, u64 a1, u64 a2, u64 a3, u64 a4, u64 a5) {
    u32 tgid = bpf_get_current_pid_tgid() >> 32;
    if (excluded(tgid))
        return 0;
    u32 tid = (u32)bpf_get_current_pid_tgid();
    struct hh_saved sv = {.code = code, .a = {a0, a1, a2, a3, a4, a5}};
    if (bpf_map_update_elem(&args_by_tid, &tid, &sv, BPF_ANY) != 0)
        count_lost(0);
    return 0;
}

/* tracepoint context: constant offsets only, and no further than the call's own
 * arguments (the kernel refuses to attach a program reading past the record) */
#define ARG(k) (n > k ? ctx->args[k] : 0)
static __always_inline int save(u16 code, struct trace_event_raw_sys_enter *ctx, const int n) {
    return save6(code, ARG(0), ARG(1), ARG(2), ARG(3), ARG(4), ARG(5));
}

/* a failed exec: the caller's memory is still there, read argv from its array */
static __always_inline int exec_failed(struct trace_event_raw_sys_exit *ctx) {
    u32 tid = (u32)bpf_get_current_pid_tgid();
    struct hh_saved *sv = bpf_map_lookup_elem(&args_by_tid, &tid);
    if (!sv)
        return 0;
    struct hh_saved copy = *sv;
    bpf_map_delete_elem(&args_by_tid, &tid);
    if (ctx->ret >= 0)
        return 0;
    u32 zero = 0;
    struct hh_exec_rec *r = bpf_map_lookup_elem(&exec_scratch, &zero);
    if (!r)
        return 0;
    fill_hdr(&r->h, KIND_EXEC, copy.code, ctx->ret);
    exec_common(r);
    r->flags |= FLAG_ARGV_FROM_CALLER;
    const char *fname = (const char *)(copy.code == SC_EXECVEAT ? copy.a[1] : copy.a[0]);
    const char *const *argv =
        (const char *const *)(copy.code == SC_EXECVEAT ? copy.a[2] : copy.a[1]);
    u32 off = 0;
    for (int i = 0; i < 64; i++) {
        const char *p = NULL;
        if (bpf_probe_read_user(&p, sizeof(p), &argv[i]) != 0 || !p)
            break;
        if (off >= ARGV_MAX) {
            r->flags |= FLAG_ARGV_TRUNC;
            break;
        }
        long n = bpf_probe_read_user_str(&r->data[off & DATA_MASK], 1024, p);
        if (n <= 0)
            break;
        off += n;
    }
    r->argv_len = off;
    r->exe_len = 0;
    long n = bpf_probe_read_user_str(&r->data[off & DATA_MASK], STR_MAX, fname);
    if (n < 0)
        n = 0;
    r->fname_len = n;
    off += n;
    submit(r, sizeof(struct hh_hdr) + 16 + bounded(off), sizeof(*r), KIND_EXEC);
    return 0;
}

SEC("tracepoint/syscalls/sys_enter_execve")
int enter_execve(struct trace_event_raw_sys_enter *ctx) { return save(SC_EXECVE, ctx, 3); }
SEC("tracepoint/syscalls/sys_exit_execve")
int exit_execve(struct trace_event_raw_sys_exit *ctx) { return exec_failed(ctx); }
SEC("tracepoint/syscalls/sys_enter_execveat")
int enter_execveat(struct trace_event_raw_sys_enter *ctx) { return save(SC_EXECVEAT, ctx, 5); }
SEC("tracepoint/syscalls/sys_exit_execveat")
int exit_execveat(struct trace_event_raw_sys_exit *ctx) { return exec_failed(ctx); }

/* ---------------------------------------------------------------- exit, fork */

SEC("tracepoint/sched/sched_process_exit")
int on_exit(void *ctx) {
    u64 pid_tgid = bpf_get_current_pid_tgid();
    u32 tgid = pid_tgid >> 32;
    bpf_map_delete_elem(&args_by_tid, &(u32){(u32)pid_tgid});
    if (tgid != (u32)pid_tgid || excluded(tgid))
        return 0;
    struct task_struct *task = (struct task_struct *)bpf_get_current_task();
    struct hh_hdr h = {};
    fill_hdr(&h, KIND_EXIT, 0, BPF_CORE_READ(task, exit_code) >> 8);
    h.size = sizeof(h);
    if (bpf_ringbuf_output(&events, &h, sizeof(h), wake_flags()) != 0)
        count_lost(KIND_EXIT);
    return 0;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(on_fork, struct task_struct *parent, struct task_struct *child) {
    u32 child_pid = BPF_CORE_READ(child, pid);
    u32 child_tgid = BPF_CORE_READ(child, tgid);
    if (child_pid != child_tgid)
        return 0; /* a thread */
    u32 tgid = bpf_get_current_pid_tgid() >> 32;
    if (excluded(tgid))
        return 0;
    struct hh_hdr h = {};
    fill_hdr(&h, KIND_FORK, 0, child_tgid);
    h.size = sizeof(h);
    if (bpf_ringbuf_output(&events, &h, sizeof(h), wake_flags()) != 0)
        count_lost(KIND_FORK);
    return 0;
}

/* ---------------------------------------------------------------- other syscalls */

/* which arguments are user strings: up to three arg positions + 1 (0 = none), 4 bits each */
static __always_inline u32 string_args(u32 code) {
    switch (code) {
    case SC_OPEN: case SC_CHMOD: case SC_CHOWN: case SC_LCHOWN: case SC_UNLINK:
    case SC_MEMFD_CREATE:
        return 1;
    case SC_OPENAT: case SC_OPENAT2: case SC_FCHMODAT: case SC_FCHMODAT2: case SC_FCHOWNAT:
    case SC_UNLINKAT: case SC_FINIT_MODULE:
        return 2;
    case SC_RENAME:
        return 1 | 2 << 4;
    case SC_RENAMEAT: case SC_RENAMEAT2:
        return 2 | 4 << 4;
    case SC_MOUNT:
        return 1 | 2 << 4 | 3 << 8;
    case SC_INIT_MODULE:
        return 3;
    }
    return 0;
}

static __always_inline bool has_prefix(const char *s, const char *p, int n) {
    for (int i = 0; i < n; i++)
        if (s[i] != p[i])
            return false;
    return true;
}

#define PREFIX(s, lit) has_prefix((s), lit, sizeof(lit) - 1)

/* reads of these paths are reported; writes always are */
static __always_inline bool sensitive(const char *s) {
    if (PREFIX(s, "/etc/"))
        return !PREFIX(s, "/etc/ld.so.cache");
    return PREFIX(s, "/root/.ssh") || PREFIX(s, "/var/run/secrets/") ||
           PREFIX(s, "/run/secrets/") || PREFIX(s, "/home/") || PREFIX(s, "/var/lib/kubelet/");
}

#define WRITE_FLAGS (0x1 | 0x2 | 0x40 | 0x200 | 0x400)

static __always_inline struct sock *sock_of_fd(struct task_struct *task, s64 fd) {
    if (fd < 0 || fd > 1 << 20)
        return NULL;
    struct file **fds = BPF_CORE_READ(task, files, fdt, fd);
    struct file *f = NULL;
    if (bpf_core_read(&f, sizeof(f), &fds[fd]) != 0 || !f)
        return NULL;
    struct socket *so = BPF_CORE_READ(f, private_data);
    if (!so)
        return NULL;
    return BPF_CORE_READ(so, sk);
}

static __always_inline void sock_fill(struct hh_sys_rec *r, struct sock *sk, bool remote) {
    r->sk.type = BPF_CORE_READ(sk, sk_type);
    r->sk.proto = BPF_CORE_READ(sk, sk_protocol);
    r->sk.lport = BPF_CORE_READ(sk, __sk_common.skc_num);
    u16 fam = BPF_CORE_READ(sk, __sk_common.skc_family);
    if (fam == 2) {
        BPF_CORE_READ_INTO(&r->sk.laddr, sk, __sk_common.skc_rcv_saddr);
    } else if (fam == 10) {
        BPF_CORE_READ_INTO(&r->sk.laddr, sk, __sk_common.skc_v6_rcv_saddr);
    }
    if (!remote)
        return;
    r->sk.family = fam;
    r->sk.rport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
    if (fam == 2) {
        BPF_CORE_READ_INTO(&r->sk.raddr, sk, __sk_common.skc_daddr);
    } else if (fam == 10) {
        BPF_CORE_READ_INTO(&r->sk.raddr, sk, __sk_common.skc_v6_daddr);
    }
}

static __always_inline int emit(s64 ret) {
    u64 pid_tgid = bpf_get_current_pid_tgid();
    u32 tid = (u32)pid_tgid;
    struct hh_saved *sv = bpf_map_lookup_elem(&args_by_tid, &tid);
    if (!sv)
        return 0;
    u32 zero = 0;
    struct hh_sys_rec *r = bpf_map_lookup_elem(&sys_scratch, &zero);
    if (!r) {
        bpf_map_delete_elem(&args_by_tid, &tid);
        return 0;
    }
    u32 code = sv->code;
    __builtin_memcpy(r->a, sv->a, sizeof(r->a));
    bpf_map_delete_elem(&args_by_tid, &tid);
    __builtin_memset(&r->sk, 0, sizeof(r->sk));
    r->len[0] = r->len[1] = r->len[2] = 0;
    r->pad = 0;
    struct task_struct *task = (struct task_struct *)bpf_get_current_task();
    u32 off = 0;
    if (code == SC_OPENAT2) {
        u64 how[2] = {};
        bpf_probe_read_user(how, sizeof(how), (void *)r->a[2]);
        r->a[2] = how[0];
        r->a[3] = how[1];
    }
    if (code == SC_CONNECT) {
        u16 fam = 0;
        void *ua = (void *)r->a[1];
        bpf_probe_read_user(&fam, sizeof(fam), ua);
        if (fam != 1 && fam != 2 && fam != 10)
            return 0;
        r->sk.family = fam;
        if (fam == 1) {
            long n = bpf_probe_read_user_str(r->data, 108, ua + 2);
            if (n > 0) {
                r->len[0] = n;
                off = n;
            }
        } else {
            u16 port = 0;
            bpf_probe_read_user(&port, sizeof(port), ua + 2);
            r->sk.rport = bpf_ntohs(port);
            if (fam == 2)
                bpf_probe_read_user(r->sk.raddr, 4, ua + 4);
            else
                bpf_probe_read_user(r->sk.raddr, 16, ua + 8);
            struct sock *sk = sock_of_fd(task, (s32)r->a[0]);
            if (sk)
                sock_fill(r, sk, false);
        }
    } else if (code == SC_ACCEPT || code == SC_ACCEPT4) {
        if (ret < 0)
            return 0;
        struct sock *sk = sock_of_fd(task, ret);
        if (!sk)
            return 0;
        sock_fill(r, sk, true);
        if (r->sk.family != 1 && r->sk.family != 2 && r->sk.family != 10)
            return 0;
    } else {
        u32 spec = string_args(code);
#pragma unroll
        for (int i = 0; i < 3; i++) {
            u32 pos = (spec >> (4 * i)) & 15;
            if (pos == 0 || pos > 6)
                break;
            const char *p = (const char *)r->a[pos - 1];
            long n = bpf_probe_read_user_str(&r->data[off & DATA_MASK], STR_MAX, p);
            if (n < 0)
                n = 0;
            r->len[i] = n;
            off += n;
        }
        if (code == SC_OPEN || code == SC_OPENAT || code == SC_OPENAT2) {
            u64 flags = code == SC_OPEN ? r->a[1] : r->a[2];
            if (!(flags & WRITE_FLAGS) && !sensitive(r->data))
                return 0;
        }
    }
    fill_hdr(&r->h, KIND_SYSCALL, code, ret);
    submit(r, sizeof(struct hh_hdr) + 48 + 48 + 8 + bounded(off), sizeof(*r),
           LOST_SYSCALL_BASE + code);
    return 0;
}

#define SYSCALL(name, code, nargs)                                                             \
    SEC("tracepoint/syscalls/sys_enter_" #name)                                                \
    int enter_##name(struct trace_event_raw_sys_enter *ctx) { return save(code, ctx, nargs); } \
    SEC("tracepoint/syscalls/sys_exit_" #name)                                                 \
    int exit_##name(struct trace_event_raw_sys_exit *ctx) { return emit(ctx->ret); }

SYSCALL(open, SC_OPEN, 3)
SYSCALL(openat, SC_OPENAT, 4)
SYSCALL(openat2, SC_OPENAT2, 4)
SYSCALL(chmod, SC_CHMOD, 2)
SYSCALL(fchmod, SC_FCHMOD, 2)
SYSCALL(fchmodat, SC_FCHMODAT, 3)
SYSCALL(fchmodat2, SC_FCHMODAT2, 4)
SYSCALL(chown, SC_CHOWN, 3)
SYSCALL(lchown, SC_LCHOWN, 3)
SYSCALL(fchown, SC_FCHOWN, 3)
SYSCALL(fchownat, SC_FCHOWNAT, 5)
SYSCALL(unlink, SC_UNLINK, 1)
SYSCALL(unlinkat, SC_UNLINKAT, 3)
SYSCALL(rename, SC_RENAME, 2)
SYSCALL(renameat, SC_RENAMEAT, 4)
SYSCALL(renameat2, SC_RENAMEAT2, 5)
SYSCALL(setuid, SC_SETUID, 1)
SYSCALL(setgid, SC_SETGID, 1)
SYSCALL(setreuid, SC_SETREUID, 2)
SYSCALL(setregid, SC_SETREGID, 2)
SYSCALL(setresuid, SC_SETRESUID, 3)
SYSCALL(setresgid, SC_SETRESGID, 3)
SYSCALL(ptrace, SC_PTRACE, 4)
SYSCALL(mount, SC_MOUNT, 5)
SYSCALL(init_module, SC_INIT_MODULE, 3)
SYSCALL(finit_module, SC_FINIT_MODULE, 3)
SYSCALL(memfd_create, SC_MEMFD_CREATE, 2)
SYSCALL(bpf, SC_BPF, 3)
SYSCALL(connect, SC_CONNECT, 3)
SYSCALL(accept, SC_ACCEPT, 3)
SYSCALL(accept4, SC_ACCEPT4, 4)

/* module loading on kernels without its tracepoints (e.g. built without modules: the
 * syscalls still exist as -ENOSYS stubs); the loader enables these only then, and goes on
 * without them (reporting it) when the kernel cannot attach fexit programs */
SEC("fexit/__x64_sys_init_module")
int BPF_PROG(fx_init_module, struct pt_regs *regs, long ret) {
    save6(SC_INIT_MODULE, PT_REGS_PARM1_CORE_SYSCALL(regs), PT_REGS_PARM2_CORE_SYSCALL(regs),
          PT_REGS_PARM3_CORE_SYSCALL(regs), 0, 0, 0);
    return emit(ret);
}
SEC("fexit/__x64_sys_finit_module")
int BPF_PROG(fx_finit_module, struct pt_regs *regs, long ret) {
    save6(SC_FINIT_MODULE, PT_REGS_PARM1_CORE_SYSCALL(regs), PT_REGS_PARM2_CORE_SYSCALL(regs),
          PT_REGS_PARM3_CORE_SYSCALL(regs), 0, 0, 0);
    return emit(ret);
}
