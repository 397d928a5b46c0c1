/* bench/sensor spawner: K worker processes each posix_spawn /bin/true (glibc uses
 * clone(CLONE_VM|CLONE_VFORK), no page-table copy) and wait for it, as fast as they can,
 * for S seconds.
 *
 *   spawner SECONDS WORKERS PROGRAM [ARG...]
 *
 * Prints one line: "<spawned> <elapsed_s> <worker_pid>,<worker_pid>..." (exec count of
 * all workers; the pids let the bench match exec events by parent pid).
 * Compiled by bench/sensor/run.py with cc -O2 into a cache dir; never committed built. */
#define _GNU_SOURCE
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long work(double seconds, char **argv) {
    long n = 0;
    double end = now() + seconds;
    prctl(PR_SET_NAME, "hh-spawner", 0, 0, 0);
    while (now() < end) {
        for (int i = 0; i < 16; i++) { /* check the clock every 16 spawns */
            pid_t pid;
            if (posix_spawn(&pid, argv[0], NULL, NULL, argv, environ) != 0) {
                perror("posix_spawn");
                return -1;
            }
            int status;
            while (waitpid(pid, &status, 0) < 0) {
            }
            n++;
        }
    }
    return n;
}

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: %s SECONDS WORKERS PROGRAM [ARG...]\n", argv[0]);
        return 2;
    }
    double seconds = atof(argv[1]);
    int workers = atoi(argv[2]);
    if (workers < 1 || workers > 256 || seconds <= 0) {
        fprintf(stderr, "spawner: bad SECONDS or WORKERS\n");
        return 2;
    }
    int fds[2];
    if (pipe(fds) != 0) {
        perror("pipe");
        return 1;
    }
    pid_t pids[256];
    double t0 = now();
    for (int w = 0; w < workers; w++) {
        pids[w] = fork();
        if (pids[w] < 0) {
            perror("fork");
            return 1;
        }
        if (pids[w] == 0) {
            close(fds[0]);
            long n = work(seconds, argv + 3);
            if (write(fds[1], &n, sizeof n) != (ssize_t)sizeof n) _exit(1);
            _exit(n < 0);
        }
    }
    close(fds[1]);
    long total = 0, n;
    int failed = 0;
    for (int w = 0; w < workers; w++) {
        if (read(fds[0], &n, sizeof n) != (ssize_t)sizeof n || n < 0) failed = 1;
        else total += n;
    }
    for (int w = 0; w < workers; w++) waitpid(pids[w], NULL, 0);
    printf("%ld %.6f ", total, now() - t0);
    for (int w = 0; w < workers; w++) printf(w ? ",%d" : "%d", (int)pids[w]);
    printf("\n");
    return failed;
}
