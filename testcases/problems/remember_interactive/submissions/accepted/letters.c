/* Pass 1 writes n in base 26 with the letters a-z; pass 2 reads it back. */
#include <stdio.h>
#include <string.h>

int main(void) {
    int pass;
    char word[64];
    if (scanf("%d %63s", &pass, word) != 2) return 1;
    if (pass == 1) {
        long long n = 0;
        sscanf(word, "%lld", &n);
        char out[32];
        int len = 0;
        while (n) { out[len++] = (char)('a' + n % 26); n /= 26; }
        for (int i = len - 1; i >= 0; i--) putchar(out[i]);
        putchar('\n');
    } else {
        long long n = 0;
        for (size_t i = 0; i < strlen(word); i++) n = n * 26 + (word[i] - 'a');
        printf("%lld\n", n);
    }
    fflush(stdout);
    return 0;
}
