/* Debug output without end on stderr: its answers on stdout would be right, but stderr carries
 * more than the output limit, so the run is over that limit (and took no disk). */
#include <stdio.h>
#include <stdlib.h>

int main(void) {
    long long a, b;
    while (scanf("%lld %lld", &a, &b) == 2) {
        printf("%lld\n", llabs(a - b));
    }
    fflush(stdout);
    for (unsigned long i = 0;; i++) {
        fprintf(stderr, "debug: step %lu, nothing to see here\n", i);
    }
}
