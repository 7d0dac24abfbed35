/* Binary search, flushing every guess. */
#include <stdio.h>
#include <string.h>

int main(void) {
    int lo = 1, hi = 1000;
    char answer[16];
    while (lo <= hi) {
        int mid = (lo + hi) / 2;
        printf("%d\n", mid);
        fflush(stdout);
        if (scanf("%15s", answer) != 1 || strcmp(answer, "correct") == 0) return 0;
        if (strcmp(answer, "higher") == 0) lo = mid + 1;
        else hi = mid - 1;
    }
    return 0;
}
