/* A fork bomb: every process forks for ever. Processes and threads together are capped (64 in
 * the run profiles), so the forks start failing and the bomb's processes only burn CPU time,
 * which all counts: TLE, and nothing outside the run's cgroup is touched. */
#include <unistd.h>

int main(void) {
    for (;;) fork();
}
