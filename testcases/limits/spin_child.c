/* spin_child MS: a child spins MS ms of its own CPU time; the parent only waits for it, then
 * prints the CPU time both used, as the kernel accounts it (the fork and exit included). */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc < 2) return 2;
    double target = atof(argv[1]);
    pid_t p = fork();
    if (p == 0) {
        struct timespec t;
        volatile unsigned long x = 0;
        do {
            for (int i = 0; i < 1000; i++) x += i;
            clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
        } while (t.tv_sec * 1e3 + t.tv_nsec / 1e6 < target);
        _exit(0);
    }
    waitpid(p, NULL, 0);
    struct rusage self, child;
    getrusage(RUSAGE_SELF, &self);
    getrusage(RUSAGE_CHILDREN, &child);
    double ms = 0;
    for (struct rusage *r = &self; r; r = r == &self ? &child : NULL)
        ms += (r->ru_utime.tv_sec + r->ru_stime.tv_sec) * 1e3
              + (r->ru_utime.tv_usec + r->ru_stime.tv_usec) / 1e3;
    printf("child done cpu_ms %.3f\n", ms);
    return 0;
}
