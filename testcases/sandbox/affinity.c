/* Tries to widen its CPU affinity to every CPU, then prints how many CPUs it may run on. */
#define _GNU_SOURCE
#include <sched.h>
#include <stdio.h>

int main(void) {
    cpu_set_t all;
    CPU_ZERO(&all);
    for (int i = 0; i < CPU_SETSIZE; i++) CPU_SET(i, &all);
    sched_setaffinity(0, sizeof all, &all);
    cpu_set_t now;
    CPU_ZERO(&now);
    if (sched_getaffinity(0, sizeof now, &now)) return 1;
    printf("cpus=%d\n", CPU_COUNT(&now));
    return 0;
}
