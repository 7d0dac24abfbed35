// Keeps at most ten words: right for group 1 (N <= 10), short of words in group 2.
#include <stdio.h>

int main(void) {
    int n;
    char words[10][101];
    if (scanf("%d", &n) != 1) return 1;
    int kept = n < 10 ? n : 10;
    for (int i = 0; i < kept; i++) scanf("%100s", words[i]);
    for (int i = 0; i < kept; i += 2) printf("%s\n", words[i]);
    return 0;
}
