/* Input validator: one integer n, 0 <= n <= {{LIMIT}}, then a newline and nothing else.
   Exit 42 accepts, 43 rejects. */
#include <stdio.h>

int main(void) {
    long long n;
    char end;
    if (scanf("%lld%c", &n, &end) != 2 || end != '\n') return 43;
    if (n < 0 || n > {{LIMIT}}) {
        fprintf(stderr, "n = %lld is out of range\n", n);
        return 43;
    }
    return getchar() == EOF ? 42 : 43;
}
