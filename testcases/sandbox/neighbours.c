/* neighbours: tries to reach every other process of its PID namespace (the sandbox's PID 1, a
 * reused environment's spare waiting for the next run, anything else): with a null signal, then
 * SIGSTOP, lowered resource limits (prlimit), a moved CPU affinity, and SIGKILL. Prints how many
 * processes each attempt reached; a sealed sandbox gives 0 everywhere. */
#define _GNU_SOURCE
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <sys/resource.h>
#include <unistd.h>

int main(void) {
    int seen = 0, stopped = 0, limited = 0, moved = 0, killed = 0;
    for (pid_t pid = 1; pid <= 256; pid++) {
        if (pid == getpid()) continue;
        if (kill(pid, 0) == 0) seen++;
        if (kill(pid, SIGSTOP) == 0) stopped++;
        struct rlimit one = { 1, 1 };
        if (prlimit(pid, RLIMIT_NOFILE, &one, NULL) == 0) limited++;
        if (prlimit(pid, RLIMIT_CPU, &one, NULL) == 0) limited++;
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET(0, &set);
        if (sched_setaffinity(pid, sizeof set, &set) == 0) moved++;
        if (kill(pid, SIGKILL) == 0) killed++;
    }
    /* Returns 0 even when every target refused (EPERM): what it did shows in the next run. */
    kill(-1, SIGKILL);
    printf("signal %d stop %d prlimit %d affinity %d kill %d\n", seen, stopped, limited, moved,
           killed);
    return 0;
}
