/* Right in pass 1, spins in pass 2: the time limit holds for each pass. */
#include <stdio.h>

int main(void) {
    int pass;
    long long n;
    char word[64];
    if (scanf("%d %63s", &pass, word) != 2) return 1;
    if (pass == 2) for (volatile unsigned long i = 0;; i++) {}
    sscanf(word, "%lld", &n);
    char out[32];
    int len = 0;
    while (n) { out[len++] = (char)('a' + n % 26); n /= 26; }
    for (int i = len - 1; i >= 0; i--) putchar(out[i]);
    putchar('\n');
    return 0;
}
