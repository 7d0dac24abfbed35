/* The package's driver for C: reads n, prints the submission's square(n). */
#include <stdio.h>

long long square(long long n);

int main(void) {
    long long n;
    if (scanf("%lld", &n) != 1 || n < 0 || n > {{LIMIT}}) return 1;
    printf("%lld\n", square(n));
    return 0;
}
