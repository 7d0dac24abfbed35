#include <stdlib.h>
#include <string.h>

/* Grows by 16 MiB at a time, touching every page, past any sane limit. */
int main(void) {
    for (;;) {
        char *block = malloc(16 << 20);
        if (!block) return 3;
        memset(block, 1, 16 << 20);
    }
}
