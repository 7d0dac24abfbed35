#include <stdio.h>

int main(void) {
    long long a, b;
    if (scanf("%lld %lld", &a, &b) != 2) return 1;
    int *nothing = NULL;
    volatile int *p = nothing;
    *p = (int)(a + b); /* SIGSEGV */
    return 0;
}
