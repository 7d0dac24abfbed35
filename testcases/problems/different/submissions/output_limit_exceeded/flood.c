#include <stdio.h>

/* 64 MiB against a limit of 8. */
int main(void) {
    for (long i = 0; i < (64L << 20) / 8; i++) fputs("1234567\n", stdout);
    return 0;
}
